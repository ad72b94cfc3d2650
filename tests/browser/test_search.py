"""The search page in Chromium: live updates with htmx, history, suggestions as you type,
accessibility, and the phone layout (results before the filters)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests.factories import register as f
from tests.search.conftest import penalty_row

from .conftest import axe_violations


@pytest.fixture
def data(app):
    with app.app_context():
        a = f.make_agency(name="太原市晋阳专利代理事务所（普通合伙）",
                          former_names=["太原晋阳知识产权代理有限公司"])
        b = f.make_agency(name="上海浦江专利代理有限公司", division_code="310115")
        penalty_row(a, facts="该机构专利代理师未落实签名责任制。", kinds="警告、罚款")
        f.spot_check_row(b, result="未发现问题")
        f.credit_grade_row(b, "A")
        for i in range(12):
            f.make_agency(name=f"太原测试专利代理第{i}有限公司")
        db.session.commit()


def test_search_updates_as_you_type_and_keeps_history(live_server, page, data):
    page.goto(live_server + "/search/")
    page.fill("#search-q", "签名责任制")
    page.wait_for_url("**q=*")
    status = page.locator("#result-count")
    expect(status).to_contain_text("共找到 1 个结果（1 条信息）")
    assert page.locator("#search-results mark").first.inner_text() == "签名责任制"
    # one result per agency: the agency and its penalty are one result
    page.fill("#search-q", "晋阳")
    expect(status).to_contain_text("1 个结果（2 条信息）")
    page.check("input[name=kind][value=agency]")
    expect(status).to_contain_text("1 个结果（1 条信息）")
    assert "kind=agency" in page.url
    assert page.locator("#filter-count").inner_text() == "1"
    # the pushed URL reproduces the result set (shareable)
    page.goto(page.url)
    assert "1 条信息" in page.locator("#result-count").inner_text()
    assert page.locator("input[name=kind][value=agency]").is_checked()
    assert axe_violations(page) == []


def test_suggestions_as_you_type_with_the_keyboard(live_server, page, data):
    page.goto(live_server + "/")
    box = page.locator("#home-q")
    assert box.get_attribute("role") == "combobox"
    box.press_sequentially("浦江", delay=50)
    page.wait_for_selector("#home-q-list [role=option]")
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active == "home-q-list-1"
    assert page.locator("#home-q-list-1").get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url("**/agencies/*")
    assert "上海浦江专利代理有限公司" in page.locator("h1").inner_text()
    page.goto(live_server + "/")
    page.locator("#home-q").press_sequentially("浦江", delay=50)
    page.wait_for_selector("#home-q-list [role=option]")
    assert axe_violations(page) == []  # with the list open


def test_search_works_without_javascript(live_server, browser, data):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.fill("#home-q", "浦江")
    page.press("#home-q", "Enter")
    page.wait_for_url("**q=*")
    assert "上海浦江专利代理有限公司" in page.locator("#search-results").inner_text()
    assert page.locator("#home-q-list, #search-q-list").first.is_hidden()
    context.close()


def test_results_come_before_filters_on_a_phone(live_server, browser, data):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(live_server + "/search/?q=专利代理")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    first = page.locator("#search-results .result").first.bounding_box()
    assert first["y"] < 844  # the first result is on the first screen
    facets = page.locator("#search-facets")
    assert not facets.is_visible()  # behind "筛选 (N)"
    page.locator("#search-filters > summary").click()
    assert facets.is_visible()
    assert axe_violations(page) == []
    context.close()


def test_filters_in_a_side_column_on_a_desktop(live_server, page, data):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/search/?q=专利代理")
    facets = page.locator("#search-facets").bounding_box()
    first = page.locator("#search-results .result").first.bounding_box()
    assert facets["x"] < first["x"] and first["y"] < 900
