"""Private storage of evidence files.

Files are checked by content (magic bytes, via ``filetype``), written under random
names to UPLOAD_DIR (outside static/, never served inline) with their sha256, BEFORE
the tip is committed.  The written paths are remembered on the database session: if
the transaction rolls back (a failed commit included), the files are removed; after
a commit they stay.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass

import filetype
from flask import current_app, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.errors import PortalError

from .models import CONTENT_TYPE_EXTENSIONS, Attachment
from .workflow import _

# Detected extension -> (MIME type, label).  Zip-based office formats are recognised
# by their inner structure (filetype looks for word/, xl/ or the ODF mimetype entry).
ALLOWED = {ext: mime for mime, ext in CONTENT_TYPE_EXTENSIONS.items()}
ALLOWED_LABEL = "PDF、JPEG、PNG、DOC、DOCX、XLS、XLSX、ODT"
ACCEPT_ATTR = ".pdf,.jpg,.jpeg,.png,.doc,.docx,.xls,.xlsx,.odt"

_SESSION_KEY = "intake_written_files"


class FileRejected(PortalError):
    """An uploaded file was refused; ``message`` names the file and the reason."""


@dataclass
class CheckedFile:
    original_name: str
    data: bytes
    extension: str
    content_type: str

    @property
    def size(self) -> int:
        return len(self.data)


def max_files() -> int:
    return int(current_app.config["TIP_MAX_FILES"])


def max_file_bytes() -> int:
    return int(current_app.config["TIP_MAX_FILE_BYTES"])


def clean_name(name: str | None) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')
    return (name or "file")[:200]


def _detect(data: bytes) -> str | None:
    kind = filetype.guess(data[:65536])
    if kind is None:
        return None
    return kind.extension if kind.extension in ALLOWED else None


def check_files(uploads) -> list[CheckedFile]:
    """Read and check the uploaded files (werkzeug FileStorage); empty inputs are skipped.
    Raises FileRejected with a message naming the file."""
    present = [u for u in uploads if u is not None and getattr(u, "filename", "")]
    if len(present) > max_files():
        raise FileRejected(_("最多只能上传 %(n)d 个文件，您选择了 %(got)d 个。",
                             n=max_files(), got=len(present)))
    limit = max_file_bytes()
    checked = []
    for upload in present:
        name = clean_name(upload.filename)
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise FileRejected(_("文件“%(name)s”超过 %(mb)d MB，未被接受。",
                                 name=name, mb=limit // (1024 * 1024)))
        if not data:
            raise FileRejected(_("文件“%(name)s”是空文件。", name=name))
        ext = _detect(data)
        if ext is None:
            raise FileRejected(_("文件“%(name)s”的内容不是允许的格式（%(allowed)s），未被接受。"
                                 "请注意：判断依据是文件内容，而不是文件名。",
                                 name=name, allowed=ALLOWED_LABEL))
        checked.append(CheckedFile(name, data, ext, ALLOWED[ext]))
    return checked


def upload_dir() -> str:
    path = current_app.config["UPLOAD_DIR"]
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def path_for(stored_name: str) -> str:
    return os.path.join(current_app.config["UPLOAD_DIR"], stored_name)


def store(files: list[CheckedFile], session: Session) -> list[Attachment]:
    """Write files under random names; return Attachment rows (not yet added).
    The files are removed again if ``session`` rolls back."""
    directory = upload_dir()
    written = session.info.setdefault(_SESSION_KEY, [])
    attachments = []
    for f in files:
        # Random, with the extension of the detected type (never the uploader's).
        stored_name = f"{secrets.token_hex(20)}.{f.extension}"
        path = os.path.join(directory, stored_name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        written.append(path)
        with os.fdopen(fd, "wb") as out:
            out.write(f.data)
        attachments.append(Attachment(
            original_name=f.original_name, stored_name=stored_name,
            content_type=f.content_type, size=f.size,
            sha256=hashlib.sha256(f.data).hexdigest(),
        ))
    return attachments


def send_evidence(attachment: Attachment):
    """The download response of an evidence file: always an attachment (never rendered),
    named with the detected extension; werkzeug builds ``Content-Disposition`` (quoted
    ASCII fallback plus RFC 5987 ``filename*`` for the full UTF-8 name), and the name has
    no control characters, quotes or path separators (``clean_name``)."""
    response = send_file(path_for(attachment.stored_name), mimetype="application/octet-stream",
                         as_attachment=True, max_age=0, etag=False, last_modified=None,
                         download_name=clean_name(attachment.download_name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _remove_written(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None:  # a savepoint: the outer work goes on
        return
    for path in session.info.pop(_SESSION_KEY, []):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _forget_written(session: Session) -> None:
    session.info.pop(_SESSION_KEY, None)


event.listen(Session, "after_commit", _forget_written)
event.listen(Session, "after_soft_rollback", _remove_written)
