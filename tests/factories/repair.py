"""Credit repair test data: applications filed through the service (synthetic)."""

from __future__ import annotations

from intake.storage import CheckedFile
from portal.extensions import db
from portal.repair import services

from .intake import PDF


def application_data(record, **overrides) -> dict:
    agency = getattr(record, "agency", None)
    data = {"uscc": agency.uscc if agency else record.party_uscc,
            "licence_no": agency.licence_no if agency else None,
            "contact_name": "联系人乙", "contact_phone": "13900000000", "contact_email": None,
            "statement": "已于处罚决定作出后按期缴清罚款，并完成全部整改，特申请信用修复。"}
    data.update(overrides)
    return data


def make_application(record, *, code: str | None = None, **overrides):
    """File an application for ``record`` with one PDF, and commit."""
    receipt = services.submit_application(
        record, application_data(record, **overrides),
        [CheckedFile("缴款凭证.pdf", PDF, "pdf", "application/pdf")], code=code)
    db.session.commit()
    return receipt.application
