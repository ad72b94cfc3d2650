"""Small helpers shared by the back-office views (loading, bureaus in reach, parsing)."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from ..auth import permissions
from ..extensions import db
from ..register import divisions
from ..register.models import Bureau


def bureau_or_404(code: str) -> Bureau:
    bureau = db.session.scalar(db.select(Bureau).where(Bureau.code == code))
    if bureau is None:
        abort(404)
    return bureau


def bureaus_in_reach(user) -> list[Bureau]:
    """The bureaus a user may look at: their own, or every bureau of the admin's province."""
    if permissions.is_provincial_admin(user):
        return province_bureaus(user.bureau)
    return [user.bureau]


def province_bureaus(bureau: Bureau) -> list[Bureau]:
    """Every bureau of ``bureau``'s province (inactive ones too), by code."""
    province = divisions.province_of(bureau.code)
    return list(db.session.scalars(
        db.select(Bureau).where(divisions.sql_within(Bureau.code, province, divisions.PROVINCE))
        .order_by(Bureau.code)))


def chosen_bureau(param: str = "bureau") -> Bureau:
    """The bureau named by ?bureau=CODE (default: the user's own); 403 outside jurisdiction."""
    code = (request.values.get(param) or "").strip()
    if not code or code == current_user.bureau.code:  # own bureau: every role (issue 14)
        return current_user.bureau
    bureau = bureau_or_404(code)
    if not permissions.in_jurisdiction(current_user, bureau):
        abort(403)
    return bureau


def parse_int(value, default: int = 1, minimum: int = 1) -> int:
    try:
        return max(minimum, int(value))
    except (TypeError, ValueError):
        return default
