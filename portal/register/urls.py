"""Stable public URLs of agencies and records (keyed by USCC, or as the record's kind says)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from . import kinds


def agency_url(agency: Any, **kwargs: Any) -> str:
    return url_for("register.agency", uscc=agency.uscc, **kwargs)


def record_url(record: Any, **kwargs: Any) -> str:
    return kinds.of(record).public_url(record, **kwargs)


def agent_url(agent: Any, **kwargs: Any) -> str:
    """issue 14 — patent agents: an agent's page, keyed by the certificate number."""
    return url_for("register.agent", certificate_no=agent.certificate_no, **kwargs)
