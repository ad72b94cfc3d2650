"""Removing hidden metadata from evidence files before they are stored.

- JPEG, PNG (Pillow): EXIF (GPS position, device, owner, time), XMP, IPTC/Photoshop
  blocks, comments and text chunks.  The picture is written again without them; a JPEG
  keeps its quantisation tables (``quality="keep"``) unless its EXIF orientation had to be
  applied to the pixels first.  Phones that take HEIC photos upload JPEG copies: the same.
- PDF (pikepdf): the document information dictionary (author, creator, producer, dates,
  ...) and the XMP metadata stream.
- DOCX, XLSX (Office Open XML) and ODT: the core / app properties (author, last
  modified by, company, manager) and ODF ``meta.xml`` are replaced by empty ones.
- DOC and XLS (legacy OLE files) cannot be cleaned safely here: they are stored as
  received and flagged to staff, like any file whose cleaning fails.

``clean`` never raises: it returns what it could do.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

CLEANED, CLEAN, NOT_CLEANED = "cleaned", "clean", "not_cleaned"

# What ``Cleaned.removed`` names, for people (staff tip page: the ``metadata_label`` filter).
LABELS = {
    "EXIF": _l("EXIF 信息"), "GPS": _l("GPS 位置"), "device": _l("设备信息"), "XMP": "XMP",
    "IPTC": "IPTC", "comment": _l("注释"), "text": _l("文字信息"),
    "document information": _l("文档信息（作者等）"),
    "document properties": _l("文档属性（作者、单位等）"),
}


def label(value: str) -> str:
    return str(LABELS.get(value, value))


@dataclass
class Cleaned:
    data: bytes
    status: str  # CLEANED, CLEAN (nothing to remove), NOT_CLEANED (stored as received)
    removed: list[str] = field(default_factory=list)


# -- images -----------------------------------------------------------------------

_IMAGE_INFO_KEYS = {
    "exif": "EXIF", "xmp": "XMP", "XML:com.adobe.xmp": "XMP", "photoshop": "IPTC",
    "iptc": "IPTC", "comment": "comment", "Description": "text", "Author": "text",
    "Software": "text", "Comment": "comment",
}


def _image_findings(image) -> list[str]:
    found = []
    exif = image.getexif()
    if len(exif):
        found.append("EXIF")
        from PIL import ExifTags

        if exif.get_ifd(ExifTags.IFD.GPSInfo) or ExifTags.Base.GPSInfo in exif:
            found.append("GPS")
        if exif.get(ExifTags.Base.Make) or exif.get(ExifTags.Base.Model):
            found.append("device")
    for key in image.info:
        label = _IMAGE_INFO_KEYS.get(key)
        if label is None and image.format == "PNG" and isinstance(image.info[key], str):
            label = "text"
        if label and label not in found:
            found.append(label)
    if image.format == "JPEG" and getattr(image, "applist", None):
        for marker, payload in image.applist:
            if marker == "APP13" and "IPTC" not in found:
                found.append("IPTC")
            if marker == "APP1" and b"http://ns.adobe.com/xap" in payload[:64] \
                    and "XMP" not in found:
                found.append("XMP")
    return found


def _clean_image(data: bytes, fmt: str) -> Cleaned:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        found = _image_findings(image)
        if not found:
            return Cleaned(data, CLEAN)
        icc = image.info.get("icc_profile")
        out = io.BytesIO()
        orientation = image.getexif().get(0x0112, 1)
        if fmt == "JPEG":
            if orientation not in (None, 1):
                upright = ImageOps.exif_transpose(image)
                upright.save(out, "JPEG", quality=95, icc_profile=icc)
            else:
                image.save(out, "JPEG", quality="keep", icc_profile=icc)
        else:
            kwargs = {"icc_profile": icc} if icc else {}
            image.save(out, "PNG", **kwargs)
    return Cleaned(out.getvalue(), CLEANED, found)


# -- PDF --------------------------------------------------------------------------

def _clean_pdf(data: bytes) -> Cleaned:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        found = []
        if "/Info" in pdf.trailer and len(pdf.trailer.Info.keys()):
            found.append("document information")
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        if "/Metadata" in pdf.Root:
            found.append("XMP")
            del pdf.Root["/Metadata"]
        if not found:
            return Cleaned(data, CLEAN)
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False, deterministic_id=True)
    return Cleaned(out.getvalue(), CLEANED, found)


# -- office files -----------------------------------------------------------------

EMPTY_CORE = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
              'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"/>')
EMPTY_APP = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
             'extended-properties"/>')
EMPTY_ODF_META = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                  'office:1.0" office:version="1.2"><office:meta/></office:document-meta>')
EMPTY_CUSTOM = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
                'custom-properties"/>')
_REPLACEMENTS = {"docProps/core.xml": EMPTY_CORE, "docProps/app.xml": EMPTY_APP,
                 "docProps/custom.xml": EMPTY_CUSTOM, "meta.xml": EMPTY_ODF_META}
_PERSONAL = re.compile(rb"<(dc:creator|cp:lastModifiedBy|Company|Manager|meta:initial-creator|"
                       rb"dc:title|dc:subject|cp:keywords|meta:user-defined|property|Application)\b")


def _clean_zip(data: bytes) -> Cleaned:
    found: list[str] = []
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename in _REPLACEMENTS and _PERSONAL.search(content):
                found.append(info.filename)
                content = _REPLACEMENTS[info.filename].encode()
            # "mimetype" must stay first and stored for ODF; keep each entry's compression.
            dst.writestr(info, content, compress_type=info.compress_type)
    if not found:
        return Cleaned(data, CLEAN)
    return Cleaned(out.getvalue(), CLEANED, ["document properties"])


def clean(data: bytes, extension: str) -> Cleaned:
    """``data`` without the hidden metadata its type can carry (see the module docstring)."""
    try:
        if extension == "jpg":
            return _clean_image(data, "JPEG")
        if extension == "png":
            return _clean_image(data, "PNG")
        if extension == "pdf":
            return _clean_pdf(data)
        if extension in ("docx", "xlsx", "odt"):
            return _clean_zip(data)
    except Exception as exc:  # noqa: BLE001 - a file we cannot parse is kept as received
        log.warning("metadata removal failed for a .%s file (%s: %s); stored as received and "
                    "flagged", extension, type(exc).__name__, exc)
    return Cleaned(data, NOT_CLEANED)
