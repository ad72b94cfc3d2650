"""The public register in a real browser: phone layout and axe-core accessibility."""

import pytest

from portal.extensions import db
from portal.register.demo import build_demo
from portal.register.models import Agency, Penalty
from tests.browser.conftest import axe_violations


@pytest.fixture
def demo_site(app):
    with app.app_context():
        build_demo(agencies=60, seed=11)
        db.session.commit()
        agency = db.session.scalar(
            db.select(Agency).join(Penalty, Penalty.agency_id == Agency.id)
            .where(Penalty.public_filter()).order_by(Agency.id).limit(1))
        penalty = db.session.scalar(db.select(Penalty).where(Penalty.public_filter(),
                                                             Penalty.agency_id == agency.id).limit(1))
        return {"uscc": agency.uscc, "name": agency.name, "decision": penalty.decision_number}


def test_pages_have_no_serious_axe_violations(page, live_server, demo_site):
    for path in ("/", "/agencies/", f"/agencies/{demo_site['uscc']}",
                 f"/penalties/{demo_site['decision']}"):
        page.goto(live_server + path)
        assert axe_violations(page) == [], path


def test_profile_on_phone(phone_page, live_server, demo_site):
    phone_page.goto(f"{live_server}/agencies/{demo_site['uscc']}")
    assert phone_page.locator("h1").inner_text() == demo_site["name"]
    assert "演示数据" in phone_page.locator(".demo-banner").inner_text()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380  # no horizontal scrolling at 375px
    # tables collapse to cards: header row hidden, cells labelled
    cell = phone_page.locator("table.responsive td[data-label]").first
    assert cell.is_visible()
    assert phone_page.locator("table.responsive thead").first.bounding_box()["x"] < 0
    phone_page.get_by_role("link", name="举报该机构的违法行为").first.click()
    assert "/tips/new" in phone_page.url and demo_site["uscc"] in phone_page.url


def test_directory_filter_on_phone_without_and_with_htmx(phone_page, live_server, demo_site):
    phone_page.goto(f"{live_server}/agencies/")
    phone_page.select_option("#f-region", "310000")
    phone_page.get_by_role("button", name="筛选").click()
    phone_page.wait_for_url("**region=310000**")
    names = phone_page.locator('td[data-label="机构名称"]').all_inner_texts()
    assert names and all(n.startswith("上海") for n in names)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 380
