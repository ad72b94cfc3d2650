"""The public statistics page: figures equal counts computed directly from the database,
per filter; small numbers suppressed in the page and the CSV; cache; nothing per tip."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func

from intake import workflow
from intake.models import Tip
from portal.extensions import db
from portal.statistics import queries
from portal.timeutil import today
from tests.factories.intake import make_tip
from tests.factories.register import make_agency
from tests.helpers import page

# (category, place, how many): 太原 清徐县 140121 goes to 太原市局, 小店区 to its own bureau.
TIPS = (("虚假宣传", "140121", 7), ("无资质专利代理", "140105", 6), ("其他", "140105", 2))


def _months_ago(n: int) -> dt.datetime:
    first = today().replace(day=1)
    index = first.year * 12 + first.month - 1 - n
    return dt.datetime(index // 12, index % 12 + 1, 10, 4, 0)


@pytest.fixture
def tips(app):
    with app.test_request_context():
        refs = []
        for category, place, n in TIPS:
            for _ in range(n):
                refs.append(make_tip(category=category, division_code=place, anonymous=True,
                                     with_file=False).tip.reference)
        # Three of the 虚假宣传 tips arrived 14 months ago: outside the default 12 months.
        for tip in db.session.scalars(db.select(Tip).where(Tip.category == "虚假宣传")
                                      .order_by(Tip.id).limit(3)):
            tip.created_at = tip.queue_entered_at = _months_ago(14)
            tip.received_on = tip.created_at.date()  # 10th of the month, 12:00 in China
        db.session.commit()
        return refs


def _csv(client, url):
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def _db_count(*where) -> int:
    return db.session.scalar(db.select(func.count(Tip.id)).where(*where))


def test_figures_equal_the_database_and_small_cells_are_suppressed(app, client, tips):
    doc = page(client, "/statistics/")
    f = None
    with app.test_request_context("/statistics/"):
        f = queries.parse_filters({})
        in_range = (Tip.created_at >= f.since, Tip.created_at < f.until)
        assert doc.select_one("#s-total").get_text(strip=True) == str(_db_count(*in_range)) == "12"
        rows = {r[0]: r[1] for r in _csv(client, "/statistics/categories.csv")[1:]}
        # 虚假宣传 4 and 其他 2: both "<5"; 12 - 6 = 6 leaves (2, 4), (3, 3) or (4, 2).
        assert rows == {"虚假宣传": "<5", "无资质专利代理": "6", "其他": "<5"}
        for name, shown in rows.items():
            if shown.isdigit():
                assert int(shown) == _db_count(*in_range, Tip.category == name)
        # The monthly series: this month's received tips equal the database's.
        months = {r[0]: r[1] for r in _csv(client, "/statistics/months.csv")[1:]}
        assert months[today().strftime("%Y-%m")] == "12"
        bureaus = {r[0]: r[2] for r in _csv(client, "/statistics/bureaus.csv")[1:]}
        assert set(bureaus) == {"140100", "140105"}
        # The table in the page and the CSV say the same.
        cells = [td.get_text(strip=True) for td in doc.select("#table-categories td")]
        assert "<5" in cells
    html = client.get("/statistics/").get_data(as_text=True)
    assert "JB-" not in html  # nothing about a single tip
    assert 'href="/statistics/categories.csv?from=' in html


def test_the_date_range_filters_every_figure(app, client, tips):
    month = _months_ago(14).strftime("%Y-%m")
    doc = page(client, f"/statistics/?from={month}&to={month}")
    assert doc.select_one("#s-total").get_text(strip=True) == "<5"  # 3 tips
    rows = _csv(client, f"/statistics/categories.csv?from={month}&to={month}")
    assert rows[1:] == [["虚假宣传", "<5"]]
    wide = _csv(client, f"/statistics/months.csv?from={month}")
    assert len(wide) == 1 + 15 and wide[1] == [month, "<5", "0"]
    with app.app_context():
        assert _db_count(Tip.created_at >= _months_ago(14)) == 15


def test_regions_drill_down_from_province_to_district(app, client, tips):
    top = _csv(client, "/statistics/regions.csv")
    assert top[1:] == [["140000", "山西省", "12"]]
    city = _csv(client, "/statistics/regions.csv?region=140000")
    assert city[1:] == [["140100", "太原市", "12"]]
    districts = {r[0]: r[2] for r in _csv(client, "/statistics/regions.csv?region=140100")[1:]}
    # 小店区 8, 清徐县 4 ("<5"): 小店区 is hidden too, or 12 - 8 would give 4 away.
    assert districts == {"140105": "*", "140121": "<5"}
    doc = page(client, "/statistics/?region=140100")
    assert [a.get_text(strip=True) for a in doc.select(".breadcrumbs a")] == ["全部地区", "山西省"]


def test_timeliness_shares_and_medians_in_working_days(app, client, tips):
    with app.test_request_context():
        for tip in db.session.scalars(db.select(Tip).where(Tip.category != "虚假宣传")):
            workflow.accept(tip, None)
        db.session.commit()
    rows = {r[0]: r[1:] for r in _csv(client, "/statistics/timeliness.csv")[1:]}
    accept = next(v for k, v in rows.items() if k.startswith("按期受理"))
    assert accept == ["100.0%", "8"]  # 8 accepted the day they arrived: in time
    median = next(v for k, v in rows.items() if k.startswith("受理用时中位数"))
    assert median == ["0", "8"]  # working days
    conclude = next(v for k, v in rows.items() if k.startswith("按期办结"))
    assert conclude == ["—", "0"]  # nothing concluded: not computed


def test_agencies_with_five_or_more_substantiated_tips_link_to_their_profile(app, client):
    with app.test_request_context():
        bad, fewer = make_agency(division_code="140121"), make_agency(division_code="140121")
        for agency, n in ((bad, 5), (fewer, 4)):
            for _ in range(n):
                tip = make_tip(agency=agency, with_file=False, anonymous=True).tip
                workflow.accept(tip, None)
                workflow.conclude(tip, None, "substantiated", "经核查，举报属实。")
                if tip.status != "concluded":
                    workflow.approve_conclusion(tip, None)
        db.session.commit()
        bad_uscc, bad_name, fewer_name = bad.uscc, bad.name, fewer.name
    doc = page(client, "/statistics/")
    link = doc.select_one("#table-agencies a")
    assert link["href"] == f"/agencies/{bad_uscc}" and link.get_text() == bad_name
    assert fewer_name not in doc.get_text()
    outcomes = _csv(client, "/statistics/outcomes.csv")
    assert outcomes[1:] == [["举报属实", "9"]]
    rate = {r[0]: r[2:] for r in _csv(client, "/statistics/agents.csv?region=140000")[1:]}
    assert rate["140100"] == ["9", "10", "900.0"]  # 9 tips, 2 agencies of 5 agents


def test_the_cache_is_dropped_when_a_tip_changes(app, client, tips):
    assert page(client, "/statistics/").select_one("#s-total").get_text(strip=True) == "12"
    with app.test_request_context():
        make_tip(with_file=False, anonymous=True)
    assert page(client, "/statistics/").select_one("#s-total").get_text(strip=True) == "13"


def test_unknown_table_and_bad_filters(client, tips):
    assert client.get("/statistics/nope.csv").status_code == 404
    doc = page(client, "/statistics/?from=garbage&to=2099-13&region=999999")
    assert doc.select_one("#s-total").get_text(strip=True) == "12"


def test_english_page(client, tips):
    doc = page(client, "/statistics/?lang=en")
    assert doc.html["lang"] == "en"
