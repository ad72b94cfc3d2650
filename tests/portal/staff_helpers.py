"""Helpers shared by the back-office tests (accounts, sign-in)."""

from __future__ import annotations

from portal.auth import services
from portal.extensions import db
from portal.register.models import Bureau

PASSWORD = "correct horse battery staple"


def bureau(code: str) -> Bureau:
    return db.session.scalar(db.select(Bureau).where(Bureau.code == code))


def make_staff(code: str, role: str = "staff", email: str | None = None,
               password: str = PASSWORD):
    email = email or f"{role}.{code}@example.org"
    user = services.create_staff(email=email, role=role, bureau=bureau(code),
                                 password=password, name=f"{role}-{code}")
    db.session.commit()
    return user


def login(client, email: str, password: str = PASSWORD, follow=False):
    return client.post("/staff/login", data={"email": email, "password": password},
                       follow_redirects=follow)


def make_agency(code: str = "140121", uscc_body: str = "91140100MA0K0001", agents: int = 10,
                name: str = "测试专利代理事务所"):
    """A registered agency (valid USCC check character computed)."""
    from stdnum.cn import uscc as uscc_mod

    from portal.register.models import Agency
    from portal.register.reference import bureau_for_division

    body = (uscc_body + "0" * 17)[:17]
    agency = Agency(uscc=body + uscc_mod.calc_check_digit(body), name=name, kind="patent",
                    status="practising", division_code=code, agent_count=agents,
                    bureau=bureau_for_division(code))
    db.session.add(agency)
    db.session.flush()
    return agency


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def make_tip(*, division_code: str = "140121", agency=None, category: str = "虚假宣传",
             with_file: bool = True, anonymous: bool = False):
    """File a tip through intake's service (routing, first events, stored file)."""
    from intake import services as intake_services
    from intake.storage import CheckedFile

    data = {
        "category": category, "agency": agency,
        "operator_name": None if agency else "某无证代理工作室",
        "division_code": division_code, "online": False,
        "description": "对方承诺“内部渠道包授权”，收费后未提交申请。",
        "anonymous": anonymous, "reporter_name": None if anonymous else "举报人甲",
        "reporter_phone": None if anonymous else "13800000000",
        "reporter_email": None,
    }
    files = [CheckedFile("合同.pdf", PDF_BYTES, "pdf", "application/pdf")] if with_file else []
    receipt = intake_services.submit_tip(data, files)
    db.session.commit()
    return receipt
