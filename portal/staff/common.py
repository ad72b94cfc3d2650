"""Small helpers shared by the back-office views (loading, labels, bureaus in reach)."""

from __future__ import annotations

import datetime as dt

from flask import abort, request
from flask_login import current_user

from ..auth import permissions
from ..extensions import db
from ..register.models import Bureau


def bureau_or_404(code: str) -> Bureau:
    bureau = db.session.scalar(db.select(Bureau).where(Bureau.code == code))
    if bureau is None:
        abort(404)
    return bureau


def bureaus_in_reach(user) -> list[Bureau]:
    """The bureaus a user may look at: their own, or every bureau of the admin's province."""
    if permissions.is_provincial_admin(user):
        prefix = user.bureau.code[:2]
        return list(db.session.scalars(
            db.select(Bureau).where(Bureau.code.startswith(prefix)).order_by(Bureau.code)))
    return [user.bureau]


def chosen_bureau(param: str = "bureau") -> Bureau:
    """The bureau named by ?bureau=CODE (default: the user's own); 403 outside jurisdiction."""
    code = (request.values.get(param) or "").strip()
    if not code:
        return current_user.bureau
    bureau = bureau_or_404(code)
    if not permissions.in_jurisdiction(current_user, bureau):
        abort(403)
    return bureau


def category_label(key: str | None) -> str:
    """Tip categories are stored as their short Chinese term (intake.categories), which is
    also their label."""
    return key or ""


def last_working_day(on: dt.date) -> dt.date:
    """The latest working day on or before ``on``."""
    from intake.calendar import is_working_day

    day = on
    for _ in range(60):
        if is_working_day(day):
            return day
        day -= dt.timedelta(days=1)
    return on


def parse_int(value, default: int = 1, minimum: int = 1) -> int:
    try:
        return max(minimum, int(value))
    except (TypeError, ValueError):
        return default
