"""The one state change the back office owns itself: the administrator's calendar days
(``calendar_day`` rows read by intake.calendar).  Flushes, never commits."""

from __future__ import annotations

import datetime as dt

from flask import has_request_context
from flask_babel import gettext


def _(message: str, **values) -> str:
    """gettext in a request; the Chinese source text in the CLI (no request, no locale)."""
    if has_request_context():
        return gettext(message, **values)
    return message % values if values else message

from intake.models import Holiday

from ..extensions import db


class CalendarError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def set_calendar_day(day, workday: bool, name: str | None = None) -> Holiday:
    """Declare ``day`` a holiday (workday=False) or a make-up working day (True)."""
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise CalendarError({"day": _("请输入有效日期（如 2027-02-08）。")}) from None
    if not isinstance(day, dt.date):
        raise CalendarError({"day": _("请输入有效日期（如 2027-02-08）。")})
    name = (name or "").strip()[:40] or None
    row = db.session.get(Holiday, day) or Holiday(day=day)
    row.workday = bool(workday)
    row.name = name
    db.session.add(row)
    db.session.flush()
    return row


def remove_calendar_day(day: dt.date) -> None:
    row = db.session.get(Holiday, day)
    if row is None:
        raise CalendarError({"day": _("该日期没有登记。")})
    db.session.delete(row)
    db.session.flush()
