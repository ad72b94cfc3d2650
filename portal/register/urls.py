"""Stable public URLs of agencies and records (keyed by USCC / decision number / id)."""

from __future__ import annotations

from flask import url_for

_ENDPOINTS = {
    "spot_check": "records.spot_check",
    "credit_grade": "records.credit_grade",
    "list_entry": "records.list_entry",
}


def agency_url(agency, **kwargs) -> str:
    return url_for("records.agency", uscc=agency.uscc, **kwargs)


def record_url(record, **kwargs) -> str:
    if record.KIND == "penalty":
        return url_for("records.penalty", decision_number=record.decision_number, **kwargs)
    return url_for(_ENDPOINTS[record.KIND], record_id=record.id, **kwargs)
