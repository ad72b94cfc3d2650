"""Test data for intake tests (synthetic)."""

from __future__ import annotations

import io

from stdnum.cn import uscc as uscc_mod

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.register.models import Agency, AgencyFormerName, Bureau

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
       b"5\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def bureau(code: str) -> Bureau:
    return db.session.scalar(db.select(Bureau).where(Bureau.code == code))


def uscc(body: str) -> str:
    body = (body + "0" * 17)[:17]
    return body + uscc_mod.calc_check_digit(body)


def make_agency(*, name="演示专利代理事务所", division_code="140105", body="91140105MA0K0001",
                former=None) -> Agency:
    from portal.register.reference import bureau_for_division

    owner = bureau_for_division(division_code) or bureau("140000")
    agency = Agency(uscc=uscc(body), name=name, kind="patent", status="practising",
                    division_code=division_code, bureau_id=owner.id, agent_count=5)
    db.session.add(agency)
    if former:
        agency.former_names.append(AgencyFormerName(name=former))
    db.session.flush()
    return agency


_counter = {"n": 0}


def make_staff(code: str, role: str = "staff") -> StaffUser:
    _counter["n"] += 1
    user = StaffUser(email=f"{role}{_counter['n']}.{code}@example.invalid",
                     name=f"{role}-{code}-{_counter['n']}", password_hash="x", role=role,
                     bureau_id=bureau(code).id, active=True)
    db.session.add(user)
    db.session.flush()
    return user


def docx_bytes() -> bytes:
    import zipfile

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
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return buf.getvalue()


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
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
