"""Working days for tip deadlines.

The one place that says whether a date is a working day in mainland China:

1. a ``CalendarDay`` row (table ``calendar_day``) an administrator maintains wins: it can
   declare a holiday (``workday=False``) or a make-up working day (``workday=True``),
   for any year, and so also corrects chinese-calendar.  A row names a province
   (``province="140000"``: that province only; a provincial administrator keeps these
   on the admin page) or none (``province=""``: every province; ``portal calendar``).
   Where both exist for a day, the province's row wins there.  A tip's deadlines use
   the calendar of its bureau's province (``province=`` on every function below; None
   means the nationwide rows only);
2. otherwise chinese-calendar, which knows the State Council's statutory holidays and
   make-up working days (调休) for the years it ships (2004–2026 in the installed version);
3. otherwise (years chinese-calendar does not cover): Monday to Friday.

Counting convention: ``add_working_days(start, n)`` is the n-th working day *after*
``start`` (the day a tip arrives does not count, like 自收到之日起 N 个工作日);
``working_days_between(a, b)`` counts the working days in ``(a, b]`` — 0 when the
deadline is today, 1 when it is the next working day, negative when it has passed.

Tips keep working-day durations for the statistics (intake.durations) in the nationwide
calendar: declaring or removing a nationwide day recounts the tips it concerns.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from flask import has_app_context

from portal.errors import PortalError

ONE_DAY = dt.timedelta(days=1)


NATIONWIDE = ""


def province_key(province: str | None) -> str:
    """The ``CalendarDay.province`` value for a division or bureau code (its province),
    or NATIONWIDE for None/""."""
    if not province:
        return NATIONWIDE
    from portal.register.divisions import province_of

    return province_of(province)


def _overrides(first: dt.date, last: dt.date,
               province: str | None = None) -> dict[dt.date, bool]:
    """CalendarDay rows between ``first`` and ``last`` (inclusive) as {day: workday}:
    the nationwide rows, overridden by ``province``'s own rows."""
    if not has_app_context():
        return {}
    from portal.extensions import db

    from .models import CalendarDay

    wanted = {NATIONWIDE, province_key(province)}
    rows = db.session.execute(
        db.select(CalendarDay.day, CalendarDay.workday, CalendarDay.province)
        .where(CalendarDay.day >= first, CalendarDay.day <= last,
               CalendarDay.province.in_(wanted))
        .order_by(CalendarDay.province)  # "" first: the province's rows overwrite it
    )
    return {day: bool(workday) for day, workday, _province in rows}


def _builtin_is_working_day(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year chinese-calendar does not cover
        return day.weekday() < 5


def _working(day: dt.date, override: dict[dt.date, bool]) -> bool:
    return override[day] if day in override else _builtin_is_working_day(day)


def covered_by_chinese_calendar(year: int) -> bool:
    """True when chinese-calendar ships the official holidays of ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def is_working_day(d: dt.date, province: str | None = None) -> bool:
    d = _as_date(d)
    return _working(d, _overrides(d, d, province))


def last_working_day(on: dt.date, *, search_days: int = 60,
                     province: str | None = None) -> dt.date:
    """The latest working day on or before ``on`` (``on`` itself when none is found within
    ``search_days`` days, which no real calendar produces)."""
    on = _as_date(on)
    first = on - dt.timedelta(days=search_days - 1)
    override = _overrides(first, on, province)
    day = on
    while day >= first:
        if _working(day, override):
            return day
        day -= ONE_DAY
    return on


def add_working_days(start: dt.date, n: int, province: str | None = None) -> dt.date:
    """The ``n``-th working day after ``start`` (``n`` >= 0; 0 returns ``start``)."""
    start = _as_date(start)
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return start
    # Holidays never stretch n working days beyond ~2n+30 calendar days.
    horizon = start + dt.timedelta(days=2 * n + 40)
    override = _overrides(start, horizon, province)
    day, left = start, n
    while left:
        day += ONE_DAY
        if day > horizon:  # pathological calendars: fetch more
            horizon = day + dt.timedelta(days=2 * n + 40)
            override.update(_overrides(day, horizon, province))
        if _working(day, override):
            left -= 1
    return day


def working_days_between(a: dt.date, b: dt.date, province: str | None = None) -> int:
    """Working days in ``(a, b]``; negative (``-count of (b, a]``) when ``b`` < ``a``."""
    a, b = _as_date(a), _as_date(b)
    if a == b:
        return 0
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    override = _overrides(a, b, province)
    count = 0
    day = a
    while day < b:
        day += ONE_DAY
        if _working(day, override):
            count += 1
    return sign * count


class WorkingDayCount:
    """``working_days_between`` for many pairs of days at once (statistics): the calendar
    of ``first``..``last`` is read once, then each pair is two look-ups."""

    def __init__(self, first: dt.date, last: dt.date, province: str | None = None):
        self.first = _as_date(first)
        override = _overrides(self.first, _as_date(last), province)
        self._cumulative = [0]  # [i + 1]: working days in [first, first + i]
        day = self.first
        while day <= last:
            self._cumulative.append(self._cumulative[-1] + _working(day, override))
            day += ONE_DAY

    def between(self, a: dt.date, b: dt.date) -> int:
        """Working days in ``(a, b]`` (negative when ``b`` < ``a``); both within the span."""
        return (self._cumulative[(_as_date(b) - self.first).days + 1]
                - self._cumulative[(_as_date(a) - self.first).days + 1])


# -- the administrator's calendar days --------------------------------------------

class CalendarError(PortalError):
    """An administrator's calendar day was refused: ``errors`` maps the field to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()), errors=errors)


def set_calendar_day(day, workday: bool, name: str | None = None,
                     province: str | None = None):
    """Declare ``day`` a holiday (workday=False) or a make-up working day (True) for
    ``province`` (a division/bureau code: its province) or, with None, nationwide;
    flushes."""
    from flask_babel import gettext as _

    from portal.extensions import db

    from .models import CalendarDay

    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise CalendarError({"day": _("请输入有效日期（如 2027-02-08）。")}) from None
    if not isinstance(day, dt.date):
        raise CalendarError({"day": _("请输入有效日期（如 2027-02-08）。")})
    key = province_key(province)
    row = db.session.get(CalendarDay, (day, key)) or CalendarDay(day=day, province=key)
    row.workday = bool(workday)
    row.name = (name or "").strip()[:40] or None
    db.session.add(row)
    db.session.flush()
    _recount(day, key)
    return row


def remove_calendar_day(day: dt.date, province: str | None = None) -> None:
    from flask_babel import gettext as _

    from portal.extensions import db

    from .models import CalendarDay

    row = db.session.get(CalendarDay, (day, province_key(province)))
    if row is None:
        raise CalendarError({"day": _("该日期没有登记。")})
    db.session.delete(row)
    db.session.flush()
    _recount(day, row.province)


def _recount(day: dt.date, key: str) -> None:
    """The tips' stored working-day durations follow the nationwide calendar
    (intake.durations): recount those whose span includes ``day``."""
    if key == NATIONWIDE:
        from .durations import recount

        recount(day)
