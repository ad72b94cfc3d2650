"""Staff accounts.  Roles and what they may do live in ``permissions.py``."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..register.models import Bureau
from ..timeutil import utcnow


class Role(StrEnum):
    """A staff account's role, stored as its value (see ``permissions.py`` for what each may do)."""

    STAFF = "staff"  # bureau staff
    LEAD = "lead"  # bureau lead
    ADMIN = "admin"  # provincial administrator
    ASSOCIATION = "association"  # association publisher: self-discipline measures only


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # a Role value (issue 14: widened)
    bureau_id: Mapped[int] = mapped_column(ForeignKey("bureau.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The session generation: bumped on sign-out, password change / reset, TOTP change
    # and deactivation; every session signed with an older value ends (auth.sessions).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted: a code is good for one sign-in only.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    bureau: Mapped[Bureau] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: the session ends when the version changes
        return f"{self.id}:{self.session_version}"


class RoleSetting(db.Model):
    """Per-role settings an administrator controls (e.g. mandatory TOTP)."""

    __tablename__ = "role_setting"

    role: Mapped[str] = mapped_column(String(20), primary_key=True)  # a Role value (issue 14)
    totp_required: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginThrottle(db.Model):
    """Failed sign-ins counted per key (portal.auth.services): one row per e-mail
    ("account", whether or not such an account exists, so that the answers do not tell)
    and one per e-mail and client address ("pair").  Rows go on success."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
