"""Issued reports (verification codes) and the administrator-editable wording."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class IssuedReport(db.Model):
    """A printed report (profile, comparison or shortlist check) with its verification code.

    Holds what the report said (``snapshot``, the facts it showed) and the SHA-256 of that
    content, never who asked for it (no account, address or uploaded file)."""

    __tablename__ = "issued_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # profile / compare / check
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    as_of: Mapped[dt.datetime] = mapped_column(DateTime)  # the register's last change
    permalink: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10))
    content_sha256: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict] = mapped_column(JSON)


class SiteText(db.Model):
    """An administrator's wording for one text of the public pages, in one language
    (portal.check.texts holds the keys and the defaults)."""

    __tablename__ = "site_text"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    locale: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
