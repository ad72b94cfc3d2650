"""The supervisor's work view (/staff/all), the per-bureau supervision table and the
dashboard's links, date range and sorting (issue 17)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from intake import queries, workflow
from intake.models import Tip
from portal.extensions import db
from portal.timeutil import today
from tests.factories.intake import make_tip
from tests.factories.register import make_agency
from tests.factories.staff import login, make_staff
from tests.helpers import page

STAFF = {"admin": ("140000", "admin"), "city_lead": ("140100", "lead"),
         "city_staff": ("140100", "staff"), "district": ("140105", "staff"),
         "datong_lead": ("140200", "lead")}


@pytest.fixture
def world(app):
    """太原 (140100): 3 tips, two past the acceptance deadline and one accepted and past
    verification; 小店区 (140105): 2 tips, one past acceptance and supervised; 大同: 1."""
    with app.test_request_context():
        for name, (code, role) in STAFF.items():
            make_staff(code, role, email=f"{name}@example.org")
        agency = make_agency(division_code="140121", name="太原查询测试知识产权代理有限公司")
        receipts = [make_tip(agency=agency, with_file=False),
                    *(make_tip(division_code="140121", with_file=False) for _ in range(2)),
                    *(make_tip(division_code="140105", with_file=False) for _ in range(2)),
                    make_tip(division_code="140202", with_file=False,
                             operator_name="大同某工作室")]
        tips = [r.tip for r in receipts]
        past = today() - dt.timedelta(days=40)
        tips[0].accept_due = tips[1].accept_due = tips[3].accept_due = past
        workflow.accept(tips[2], None)
        tips[2].verify_due = past
        workflow.supervise(tips[3], None, "请加快")
        db.session.commit()
        return {"refs": [t.reference for t in tips], "codes": [r.code for r in receipts],
                "uscc": agency.uscc, "bureaus": [t.bureau.code for t in tips]}


def _client(app, who):
    client = app.test_client()
    assert login(client, f"{who}@example.org").status_code == 302
    return client


def _refs(doc) -> set[str]:
    return {a.get_text(strip=True) for a in doc.select("#work-table tbody tr td:first-child a")}


def test_the_fixture_routes_as_expected(world):
    assert world["bureaus"] == ["140100"] * 3 + ["140105"] * 2 + ["140200"]


@pytest.mark.parametrize("scope", ["", "?bureau=140100"])
def test_the_overdue_card_lists_exactly_the_tips_it_counts(app, world, scope):
    admin = _client(app, "admin")
    dash = page(admin, f"/staff/dashboard{scope}")
    count = int(dash.select_one("#m-overdue").get_text(strip=True))
    listed = page(admin, dash.select_one("#m-overdue-link")["href"])
    refs = world["refs"]
    expected = {refs[0], refs[1], refs[2]} | (set() if scope else {refs[3]})
    assert count == len(expected) and _refs(listed) == expected
    with app.app_context():
        in_db = db.session.scalars(db.select(Tip.reference).where(
            queries.overdue_clause(province="140000")))
        assert expected <= set(in_db)


def test_filters_by_bureau_kind_of_overdue_supervised_status_and_category(app, world):
    admin, refs = _client(app, "admin"), world["refs"]
    assert _refs(page(admin, "/staff/all?overdue=accept")) == {refs[0], refs[1], refs[3]}
    assert _refs(page(admin, "/staff/all?overdue=verify")) == {refs[2]}
    assert _refs(page(admin, "/staff/all?supervised=1")) == {refs[3]}
    assert _refs(page(admin, "/staff/all?bureau=140105")) == {refs[3], refs[4]}
    assert _refs(page(admin, "/staff/all?status=accepted")) == {refs[2]}
    assert _refs(page(admin, "/staff/all")) == set(refs)
    assert _refs(page(admin, "/staff/all?category=其他")) == set()
    doc = page(admin, "/staff/all?overdue=1")  # the queue's old spelling: either deadline
    assert len(_refs(doc)) == 4
    # Every count card is a link to the list it counts.
    cards = page(admin, "/staff/all")
    for a in cards.select("#work .cards a"):
        shown = a.find("strong").get_text(strip=True) if a.find("strong") else \
            a.get_text().rsplit("：", 1)[-1].strip()
        assert len(_refs(page(admin, a["href"]))) == int(shown) or int(shown) > 50, a["href"]
    assert admin.get("/staff/all?bureau=310000").status_code == 403
    assert admin.get("/staff/all?bureau=999999").status_code == 404


def test_search_by_case_number_party_uscc_and_tracking_code(app, world):
    admin, refs = _client(app, "admin"), world["refs"]
    assert _refs(page(admin, f"/staff/all?status=all&q={refs[4]}")) == {refs[4]}
    assert _refs(page(admin, f"/staff/all?status=all&q={refs[4][-6:]}")) == {refs[4]}
    assert _refs(page(admin, "/staff/all?q=查询测试")) == {refs[0]}
    assert _refs(page(admin, f"/staff/all?q={world['uscc'].lower()}")) == {refs[0]}
    assert _refs(page(admin, "/staff/all?q=大同某")) == {refs[5]}
    code = world["codes"][1].replace("-", "").lower()
    assert _refs(page(admin, f"/staff/all?q={code}")) == {refs[1]}
    # Within reach only: 太原's staff do not find 大同's tip.
    assert _refs(page(_client(app, "city_staff"), "/staff/all?q=大同某")) == set()


def test_a_city_lead_oversees_the_districts_but_acts_only_in_the_own_bureau(app, world):
    lead, refs = _client(app, "city_lead"), world["refs"]
    assert _refs(page(lead, "/staff/all")) == set(refs[:5])
    tip = page(lead, f"/staff/tips/{refs[4]}")
    # The reporter's identity and the evidence: the handling bureau only.
    assert tip.select_one("#show-reporter") is None and "举报人甲" not in tip.get_text()
    assert lead.get(f"/staff/tips/{refs[4]}/reporter").status_code == 403
    assert lead.post(f"/staff/tips/{refs[4]}/accept").status_code == 403
    assert lead.post(f"/staff/tips/{refs[4]}/add_note", data={"text": "备注"}).status_code == 403
    assert lead.post(f"/staff/tips/{refs[1]}/accept").status_code == 302
    # Staff of the city and other cities' leads do not see 小店区's tips.
    assert _refs(page(_client(app, "city_staff"), "/staff/all")) == set(refs[:3])
    assert _client(app, "datong_lead").get(f"/staff/tips/{refs[4]}").status_code == 404
    assert _client(app, "city_staff").get("/staff/all?bureau=140105").status_code == 403


def test_the_supervision_table_matches_the_database_sorts_and_downloads(app, world):
    admin = _client(app, "admin")
    rows = list(csv.reader(io.StringIO(admin.get(
        "/staff/dashboard/bureau.csv?sort=overdue_accept&dir=desc").get_data(as_text=True)
        .lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert "受理用时中位数（工作日，自进入本部门队列）" in header
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert [r[0] for r in body][:2] == ["140100", "140105"]  # most overdue first
    taiyuan = by_code["140100"]
    assert (taiyuan["收到（件）"], taiyuan["未办结（当前）"], taiyuan["受理超期（当前）"],
            taiyuan["核查超期（当前）"]) == ("3", "3", "2", "1")
    assert taiyuan["受理用时中位数（工作日，自进入本部门队列）"] == "0.0"
    assert by_code["140105"]["督办（件）"] == "1"
    with app.app_context():
        ids = dict(db.session.execute(db.select(Tip.reference, Tip.bureau_id)).all())
        open_in_taiyuan = db.session.scalar(db.select(db.func.count(Tip.id)).where(
            Tip.bureau_id == ids[world["refs"][0]], Tip.status != "concluded"))
        assert open_in_taiyuan == 3
    doc = page(admin, "/staff/dashboard?sort=open&dir=desc")
    th = doc.select_one("#table-bureau th[aria-sort]")
    assert th is not None and th["aria-sort"] == "descending"


def test_the_dashboard_date_range_and_working_days(app, world):
    admin = _client(app, "admin")
    with app.app_context():
        tip = db.session.scalar(db.select(Tip).where(Tip.reference == world["refs"][5]))
        tip.created_at = dt.datetime(2025, 3, 3, 2, 0)
        db.session.commit()
    doc = page(admin, "/staff/dashboard?from=2025-03-01&to=2025-03-31")
    assert doc.select_one("#m-total").get_text(strip=True) == "1"
    assert "工作日" in doc.select_one("#m-accept").parent.get_text()
    doc = page(admin, "/staff/dashboard")
    assert doc.select_one("#m-total").get_text(strip=True) == "6"
    ticks = doc.select("#chart-trend text.chart-text")
    assert all(int(t["font-size"]) >= 14 for t in ticks) and len(ticks) > 5


def test_the_total_card_lists_the_tips_received_in_the_period(app, world):
    admin = _client(app, "admin")
    with app.app_context():
        tip = db.session.scalar(db.select(Tip).where(Tip.reference == world["refs"][0]))
        tip.created_at = dt.datetime(2025, 3, 3, 2, 0)
        db.session.commit()
    dash = page(admin, "/staff/dashboard?from=2025-03-01&to=2025-03-31")
    assert dash.select_one("#m-total").get_text(strip=True) == "1"
    listed = page(admin, dash.select_one("#m-total-link")["href"])
    assert _refs(listed) == {world["refs"][0]} and listed.select_one("#w-period")
    # The overdue card is about today, whatever the period: its list ignores the dates.
    overdue = page(admin, dash.select_one("#m-overdue-link")["href"])
    assert len(_refs(overdue)) == int(dash.select_one("#m-overdue").get_text(strip=True)) == 4
