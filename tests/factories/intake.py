"""Intake test data: tips, the public tip form, evidence files (synthetic)."""

from __future__ import annotations

import io
import zipfile

from intake import receipts, services
from intake.storage import CheckedFile
from portal.extensions import db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
       b"5\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def make_tip(*, with_file: bool = True, anonymous: bool = False, **fields) -> services.Receipt:
    """File a tip through intake's service (routing, first events, stored file) and commit.

    By default a named reporter reports an unlicensed operator in 清徐县 (140121, handled by
    太原 140100) with a PDF contract; ``agency=`` reports that agency instead.
    """
    data = {
        "category": "虚假宣传", "agency": None,
        "operator_name": None if fields.get("agency") else "某无证代理工作室",
        "division_code": "140121", "online": False,
        "description": "对方承诺“内部渠道包授权”，收费后未提交申请。",
        "anonymous": anonymous, "reporter_name": None if anonymous else "举报人甲",
        "reporter_phone": None if anonymous else "13800000000", "reporter_email": None,
    }
    data.update(fields)
    files = [CheckedFile("合同.pdf", PDF, "pdf", "application/pdf")] if with_file else []
    receipt = services.submit_tip(data, files)
    db.session.commit()
    return receipt


def form_data(**overrides) -> dict:
    """A valid tip form submission (operator reported, place Taiyuan Xiaodian)."""
    data = {
        "category": "虚假宣传",
        "party_kind": "operator",
        "operator_name": "演示知识产权咨询工作室",
        "province": "140000",
        "city": "140100",
        "district": "140105",
        "description": "对方在网上宣称“保证授权”，收费后不再联系，特此举报。",
        "identity": "anonymous",
        "consent": "y",
        # Each call is a newly rendered form: its own one-time key (intake.receipts).
        "submission_key": receipts.new_key(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.'
                   'wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    buf = io.BytesIO()
    wb = Workbook()
    wb.active["A1"] = "演示"
    wb.save(buf)
    return buf.getvalue()


def odt_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return buf.getvalue()
