"""Issue 17 in Chromium: the administrator clicks "超期 16" on the dashboard and sees the
16 tips; the statistics page, the dashboard and the work view pass axe-core at desktop and
phone widths, in Chinese and English."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.timeutil import today
from tests.factories.intake import make_tip
from tests.factories.staff import PASSWORD, make_staff

from .conftest import axe_violations

# 16 overdue tips spread over three bureaus, and a few that are not overdue.
PLACES = ("140121",) * 7 + ("140105",) * 5 + ("140202",) * 4


@pytest.fixture
def overdue_world(app):
    with app.test_request_context():
        make_staff("140000", "admin", email="admin@example.org")
        for i, place in enumerate(PLACES):
            tip = make_tip(division_code=place, with_file=False, anonymous=True,
                           category="虚假宣传" if i % 2 else "无资质专利代理").tip
            tip.accept_due = today() - dt.timedelta(days=30)
        for _ in range(3):
            make_tip(division_code="140121", with_file=False, anonymous=True)
        db.session.commit()


def _admin(browser, live_server, **context):
    ctx = browser.new_context(locale="zh-CN", **context)
    page = ctx.new_page()
    page.goto(live_server + "/staff/login")
    page.fill("#email", "admin@example.org")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/staff/")
    return page


def test_the_administrator_clicks_overdue_16_and_sees_16_rows(live_server, browser,
                                                               overdue_world):
    page = _admin(browser, live_server)
    page.goto(live_server + "/staff/dashboard")
    assert page.inner_text("#m-overdue") == "16"
    assert axe_violations(page) == []
    page.click("#m-overdue-link")
    page.wait_for_url("**/staff/all?overdue=any")
    assert page.locator("#work-table tbody tr").count() == 16
    assert axe_violations(page) == []
    # Narrow the list with the filters (htmx swaps the list in place).
    page.select_option("#w-bureau", "140105")
    expect(page.locator("#work-table tbody tr")).to_have_count(5)
    page.fill("#w-q", "no such party")
    page.press("#w-q", "Enter")
    page.wait_for_selector("#work .notice")
    page.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_statistics_page_is_accessible_at_both_widths(live_server, browser, overdue_world,
                                                      width):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = ctx.new_page()
    page.goto(live_server + "/statistics/")
    assert page.inner_text("#s-total") == "19"
    assert axe_violations(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.click("#table-regions a")  # drill down: 山西省 -> its cities
    page.wait_for_url("**region=140000**")
    assert "太原市" in page.inner_text("#table-regions")
    ctx.close()
    page = _admin(browser, live_server, viewport={"width": width, "height": 900})
    page.goto(live_server + "/staff/dashboard")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.context.close()


def test_statistics_page_in_english(live_server, browser, overdue_world):
    ctx = browser.new_context(locale="en-US")
    page = ctx.new_page()
    page.goto(live_server + "/statistics/?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert axe_violations(page) == []
    ctx.close()


def test_axis_labels_are_drawn_at_12_px_or_more(live_server, browser, overdue_world):
    for width in (1280, 390):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        page = ctx.new_page()
        page.goto(live_server + "/statistics/")
        smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll(
            'svg.chart text')].map(t => parseFloat(t.getAttribute('font-size'))
                                        * t.ownerSVGElement.getScreenCTM().a))""")
        assert smallest >= 12, (width, smallest)
        ctx.close()
