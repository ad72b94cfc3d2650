import datetime as dt

import chinese_calendar
import pytest

from intake import calendar
from intake.models import CalendarDay
from portal.extensions import db

D = dt.date


def test_spring_festival_2026_matches_chinese_calendar():
    # 2026-02-15..23 off; make-up working Saturdays 2026-02-14 and 2026-02-28.
    for day in range(15, 24):
        assert chinese_calendar.is_workday(D(2026, 2, day)) is False
        assert calendar.is_working_day(D(2026, 2, day)) is False
    assert calendar.is_working_day(D(2026, 2, 14)) is True  # Saturday, make-up day
    assert calendar.is_working_day(D(2026, 2, 28)) is True  # Saturday, make-up day
    assert calendar.is_working_day(D(2026, 3, 1)) is False  # ordinary Sunday


def test_add_working_days_across_spring_festival():
    # Received Friday 2026-02-13: 14 (Sat, make-up) 24 25 26 27 28 (Sat, make-up) 03-02.
    assert calendar.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert calendar.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert calendar.add_working_days(D(2026, 2, 13), 7) == D(2026, 3, 2)
    # Received on a holiday: the clock starts after it.
    assert calendar.add_working_days(D(2026, 2, 16), 1) == D(2026, 2, 24)
    assert calendar.add_working_days(D(2026, 2, 13), 0) == D(2026, 2, 13)
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2026, 2, 13), -1)


def test_working_days_between_is_signed_and_counts_make_up_days():
    assert calendar.working_days_between(D(2026, 2, 13), D(2026, 3, 2)) == 7
    assert calendar.working_days_between(D(2026, 3, 2), D(2026, 2, 13)) == -7
    assert calendar.working_days_between(D(2026, 2, 20), D(2026, 2, 20)) == 0
    assert calendar.working_days_between(D(2026, 2, 15), D(2026, 2, 23)) == 0


def test_fallback_year_is_weekends_only_without_rows(app_ctx):
    assert not calendar.covered_by_chinese_calendar(2027)
    assert calendar.is_working_day(D(2027, 2, 5))  # Friday
    assert not calendar.is_working_day(D(2027, 2, 6))  # Saturday
    assert calendar.add_working_days(D(2027, 2, 5), 5) == D(2027, 2, 12)


def test_fallback_year_with_holiday_rows(app_ctx):
    # An administrator enters 2027's Spring Festival: 02-06..02-14 off, Sat 02-20 worked.
    for day in range(6, 15):
        db.session.add(CalendarDay(day=D(2027, 2, day), workday=False, name="春节"))
    db.session.add(CalendarDay(day=D(2027, 2, 20), workday=True, name="春节调休"))
    db.session.flush()
    assert not calendar.is_working_day(D(2027, 2, 8))  # a Monday inside the holiday
    assert calendar.is_working_day(D(2027, 2, 20))  # make-up Saturday
    # From Fri 02-05: 15 16 17 18 19 20(Sat) 22 -> 7 working days.
    assert calendar.add_working_days(D(2027, 2, 5), 7) == D(2027, 2, 22)
    assert calendar.working_days_between(D(2027, 2, 5), D(2027, 2, 22)) == 7


def test_holiday_rows_override_chinese_calendar(app_ctx):
    assert calendar.is_working_day(D(2026, 3, 3))
    db.session.add(CalendarDay(day=D(2026, 3, 3), workday=False, name="地方性休假"))
    db.session.add(CalendarDay(day=D(2026, 2, 21), workday=True, name="更正"))
    db.session.flush()
    assert not calendar.is_working_day(D(2026, 3, 3))
    assert calendar.is_working_day(D(2026, 2, 21))
    assert calendar.add_working_days(D(2026, 3, 2), 1) == D(2026, 3, 4)


def test_last_working_day_steps_back_over_holidays_and_weekends():
    assert calendar.last_working_day(D(2026, 2, 24)) == D(2026, 2, 24)  # a working Tuesday
    # Spring Festival 2026: 02-15..23 off; the make-up Saturday 02-14 is the last working day.
    assert calendar.last_working_day(D(2026, 2, 23)) == D(2026, 2, 14)
    assert calendar.last_working_day(D(2026, 3, 1)) == D(2026, 2, 28)  # Sunday -> Saturday


def test_last_working_day_uses_the_administrators_days(app_ctx):
    db.session.add(CalendarDay(day=D(2027, 2, 8), workday=False, name="春节"))
    db.session.flush()
    assert calendar.last_working_day(D(2027, 2, 8)) == D(2027, 2, 5)  # Monday off -> Friday
