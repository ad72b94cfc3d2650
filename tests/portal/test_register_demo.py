import datetime as dt

import pytest
from stdnum.cn import uscc

from portal.extensions import db
from portal.register.demo import build_demo
from portal.register.models import Agency, ListEntry, Penalty, SiteMeta, SpotCheck
from portal.site import DEMO_KEY
from tests.factories.register import make_agency

ANCHOR = dt.date(2026, 11, 21)


def _snapshot():
    agencies = db.session.execute(db.select(Agency.uscc, Agency.name, Agency.licence_no,
                                            Agency.address, Agency.legal_rep).order_by(Agency.uscc)).all()
    penalties = db.session.execute(db.select(Penalty.decision_number, Penalty.full_text,
                                             Penalty.status).order_by(Penalty.decision_number)).all()
    checks = db.session.execute(db.select(SpotCheck.task_number, SpotCheck.result)
                                .order_by(SpotCheck.task_number, SpotCheck.result)).all()
    return agencies, penalties, checks


def test_same_seed_same_data_and_rerun_replaces(app_ctx):
    counts = build_demo(agencies=120, seed=7, anchor=ANCHOR)
    db.session.commit()
    first = _snapshot()
    again = build_demo(agencies=120, seed=7, anchor=ANCHOR)  # re-runnable: clears the old rows
    db.session.commit()
    assert again == counts and _snapshot() == first
    assert db.session.scalar(db.select(db.func.count()).select_from(Agency)) == 120
    build_demo(agencies=120, seed=8, anchor=ANCHOR)
    db.session.commit()
    assert _snapshot()[0] != first[0]


def test_demo_data_is_valid_and_flagged(app_ctx):
    counts = build_demo(agencies=300, anchor=ANCHOR)
    db.session.commit()
    assert counts["records"] >= 5 * counts["agencies"]
    for code, _name, division, _bureau_code in db.session.execute(
            db.select(Agency.uscc, Agency.name, Agency.division_code, Agency.bureau_id)):
        assert uscc.is_valid(code)
        assert code[2:8] == division
        assert division[:2] in ("14", "31") or division[:4] == "4107"
    assert db.session.get(SiteMeta, DEMO_KEY).value == "1"
    statuses = set(db.session.scalars(db.select(Penalty.status)))
    assert {"published", "repaired"} <= statuses
    assert db.session.scalar(db.select(db.func.count()).select_from(ListEntry)
                             .where(ListEntry.removed_on.is_not(None))) > 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Penalty)
                             .where(Penalty.agency_id.is_(None))) > 0
    # every penalty that is published keeps its decision date before publication
    for decided, published in db.session.execute(db.select(Penalty.decided_on, Penalty.published_on)):
        assert decided <= published


def test_demo_refuses_real_data(app_ctx, runner):
    make_agency()
    db.session.commit()
    with pytest.raises(RuntimeError):
        build_demo(agencies=10)
    result = runner.invoke(args=["demo", "--agencies", "10"])
    assert result.exit_code != 0 and "非演示数据" in result.output


def test_demo_cli(runner, app):
    result = runner.invoke(args=["demo", "--agencies", "50", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "agencies: 50" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Agency)) == 50
