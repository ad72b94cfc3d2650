"""The days and working-day durations a tip keeps for the statistics (intake.durations):
set by each transition, equal to what the calendar computes from the timestamps, kept
right when the calendar changes, backfilled by the migration; and the statistics read
from them equal the figures computed from the timestamps."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import update

from intake import calendar, workflow
from intake import queries as tip_queries
from intake.demo import build_demo_tips
from intake.models import Tip
from portal.extensions import db
from portal.statistics import queries, suppression
from portal.timeutil import to_china
from tests.factories.intake import make_tip
from tests.factories.register import bureau
from tests.factories.staff import make_staff

D = dt.date
MIGRATION = (Path(__file__).parents[2] / "portal" / "migrations" / "versions"
             / "20261201_a7b3c5d9e107_tip_statistics_days.py")


@pytest.fixture
def new_tip(app_ctx):
    """File an anonymous tip about an operator in 小店区 (140105); committed."""
    return lambda: make_tip(division_code="140105", anonymous=True, with_file=False).tip


def _china_day(moment: dt.datetime | None) -> dt.date | None:
    return to_china(moment).date() if moment else None


def _stored(tip: Tip) -> tuple:
    return (tip.received_on, tip.accepted_on, tip.concluded_on, tip.accept_working_days,
            tip.conclude_working_days)


def _expected(tip: Tip) -> tuple:
    """What the stored columns must be, from the timestamps and the calendar."""
    received, accepted, concluded = (_china_day(m) for m in (
        tip.created_at, tip.accepted_at, tip.concluded_at))
    return (received, accepted, concluded,
            calendar.working_days_between(received, accepted) if accepted else None,
            calendar.working_days_between(received, concluded) if concluded else None)


def test_each_transition_stores_its_day_and_working_days(new_tip):
    staff, other = make_staff("140105", "staff"), make_staff("140106", "staff")
    other_lead = make_staff("140106", "lead")
    # 2026-02-14 01:00 in China (a make-up working Saturday before the Spring Festival).
    with workflow.at(dt.datetime(2026, 2, 13, 17, 0)):
        tip = new_tip()
    assert _stored(tip) == (D(2026, 2, 14), None, None, None, None)
    with workflow.at(dt.datetime(2026, 2, 24, 2, 0)):  # the first working day after it
        workflow.accept(tip, staff)
    assert _stored(tip) == (D(2026, 2, 14), D(2026, 2, 24), None, 1, None) == _expected(tip)
    # A transfer restarts acceptance in the new queue: the acceptance pair is cleared.
    with workflow.at(dt.datetime(2026, 2, 25, 2, 0)):
        workflow.transfer(tip, staff, bureau("140106"), "发生地在迎泽区")
    assert _stored(tip) == (D(2026, 2, 14), None, None, None, None)
    with workflow.at(dt.datetime(2026, 2, 26, 2, 0)):
        workflow.accept(tip, other)
        workflow.conclude(tip, other, "substantiated", "经核查，举报属实。")  # a proposal
    assert tip.status == "pending_approval"
    assert _stored(tip) == (D(2026, 2, 14), D(2026, 2, 26), None, 3, None)
    with workflow.at(dt.datetime(2026, 3, 2, 16, 30)):  # 2026-03-03 00:30 in China
        workflow.approve_conclusion(tip, other_lead)
    # (02-14, 03-03]: 24, 25, 26, 27, 28 (make-up Saturday), 03-02, 03-03.
    assert _stored(tip) == (D(2026, 2, 14), D(2026, 2, 26), D(2026, 3, 3), 3, 7)
    assert _stored(tip) == _expected(tip)
    db.session.commit()
    db.session.expire_all()
    assert _stored(db.session.get(Tip, tip.id)) == _expected(tip)


@pytest.fixture
def demo(app):
    """Demo tips made through the workflow over the last five months (some concluded)."""
    with app.test_request_context():
        made = build_demo_tips(count=80, seed=17)
        db.session.commit()
    return made


def test_demo_tips_store_what_the_calendar_computes(app, demo):
    with app.app_context():
        tips = list(db.session.scalars(db.select(Tip)))
        assert len(tips) == demo
        assert all(_stored(t) == _expected(t) for t in tips)
        assert sum(t.conclude_working_days is not None for t in tips) > 10


def _per_month(moments, months: list[str]) -> dict[str, int]:
    out = dict.fromkeys(months, 0)
    for moment in moments:
        month = f"{_china_day(moment):%Y-%m}"
        if month in out:
            out[month] += 1
    return out


def _median_from_timestamps(tips, end: str) -> dict:
    pairs = [(0, _china_day(t.created_at), _china_day(getattr(t, end)), 1)
             for t in tips if getattr(t, end)]
    assert len(pairs) >= suppression.THRESHOLD
    return {"value": tip_queries.working_day_medians(pairs, None)[0], "of": len(pairs)}


def test_the_figures_equal_those_computed_from_the_timestamps(app, demo, monkeypatch):
    """Months, timeliness and medians from the stored columns equal the same figures
    computed the old way: China days from the timestamps, working days by the calendar
    (suppression, tested on its own, is switched off to compare every cell)."""
    monkeypatch.setattr(suppression, "protect", lambda values, total_public=True: dict(values))
    with app.test_request_context():
        f = queries.parse_filters({})
        got = queries.compute(f)
        every = list(db.session.scalars(db.select(Tip)))
        tips = [t for t in every if f.since <= t.created_at < f.until]
        assert got["total"] == len(tips) == demo
        received = _per_month([t.created_at for t in tips], f.months)
        concluded = _per_month([t.concluded_at for t in every if t.concluded_at], f.months)
        assert {row["month"]: (row["received"], row["concluded"]) for row in got["months"]} \
            == {m: (received[m], concluded[m]) for m in f.months}
        assert got["timeliness"]["median_accept"] == _median_from_timestamps(tips, "accepted_at")
        assert got["timeliness"]["median_conclude"] == _median_from_timestamps(
            tips, "concluded_at")
        accepted = [t for t in tips if t.accepted_at]
        in_time = sum(_china_day(t.accepted_at) <= t.accept_due for t in accepted)
        cutoff = calendar.last_working_day(queries.today())
        late = sum(t.status == "received" and t.accept_due < cutoff for t in tips)
        assert got["timeliness"]["accept"] == queries._share(in_time, len(accepted) + late)


def _accepted_tip(new_tip, received: dt.datetime, accepted: dt.datetime) -> Tip:
    with workflow.at(received):
        tip = new_tip()
    with workflow.at(accepted):
        workflow.accept(tip, None)
    db.session.commit()
    return tip


def test_a_calendar_change_recounts_the_tips_it_concerns(new_tip):
    # Received Wednesday 2026-03-04, accepted Tuesday 03-10: (03-04, 03-10] = 5, 6, 9, 10.
    tip = _accepted_tip(new_tip, dt.datetime(2026, 3, 4, 2, 0), dt.datetime(2026, 3, 10, 2, 0))
    same_day = _accepted_tip(new_tip, dt.datetime(2026, 3, 4, 2, 0),
                             dt.datetime(2026, 3, 4, 3, 0))
    assert tip.accept_working_days == 4 and same_day.accept_working_days == 0

    calendar.set_calendar_day(D(2026, 3, 9), False, "假日")  # nationwide holiday
    assert tip.accept_working_days == 3
    calendar.set_calendar_day(D(2026, 3, 10), False, province="140000")  # Shanxi only
    assert tip.accept_working_days == 3  # the statistics count the nationwide calendar
    calendar.set_calendar_day(D(2026, 3, 7), True, "调休")  # a make-up working Saturday
    assert tip.accept_working_days == 4
    calendar.remove_calendar_day(D(2026, 3, 9))
    assert tip.accept_working_days == 5
    db.session.commit()
    db.session.expire_all()
    assert (tip.accept_working_days, same_day.accept_working_days) == (5, 0)
    assert _stored(tip) == _expected(tip)


def test_tips_recount_restores_every_duration(app, runner, new_tip):
    tip = _accepted_tip(new_tip, dt.datetime(2026, 3, 4, 2, 0), dt.datetime(2026, 3, 10, 2, 0))
    tip_id = tip.id
    db.session.execute(update(Tip).where(Tip.id == tip_id).values(accept_working_days=99))
    db.session.commit()
    result = runner.invoke(args=["tips", "recount"])
    assert result.exit_code == 0, result.output
    assert "1 tip(s) changed" in result.output
    db.session.expire_all()
    assert db.session.get(Tip, tip_id).accept_working_days == 4


def test_the_migration_backfills_the_days_and_durations(app, demo):
    spec = importlib.util.spec_from_file_location("tip_statistics_days", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        before = {t.id: _stored(t) for t in db.session.scalars(db.select(Tip))}
        db.session.execute(update(Tip).values(
            received_on=D(2000, 1, 1), accepted_on=None, concluded_on=None,
            accept_working_days=None, conclude_working_days=None))
        migration._backfill(db.session.connection())
        db.session.commit()
        db.session.expire_all()
        after = {t.id: _stored(t) for t in db.session.scalars(db.select(Tip))}
    assert after == before and len(after) == demo
