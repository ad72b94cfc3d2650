"""The search page in Chromium: live updates with htmx, history, accessibility, phone."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests.factories import register as f

from .conftest import axe_violations


@pytest.fixture
def data(app):
    with app.app_context():
        a = f.make_agency(name="太原市晋阳专利代理事务所（普通合伙）",
                          former_names=["太原晋阳知识产权代理有限公司"])
        b = f.make_agency(name="上海浦江专利代理有限公司", division_code="310115")
        f.penalty_row(a, facts="该机构专利代理师未落实签名责任制。", kinds="警告、罚款")
        f.spot_check_row(b, result="未发现问题")
        f.credit_grade_row(b, "A")
        db.session.commit()


def test_search_updates_as_you_type_and_keeps_history(live_server, page, data):
    page.goto(live_server + "/search/")
    page.fill("#search-q", "签名责任制")
    page.wait_for_url("**q=*")
    status = page.locator("#result-count")
    assert "共找到 1 条结果" in status.inner_text()
    assert page.locator("#search-results mark").first.inner_text() == "签名责任制"
    # a facet checkbox narrows the results without a page load
    page.fill("#search-q", "晋阳")
    page.wait_for_function("document.querySelector('#result-count').innerText.includes('共找到 2 条')")
    page.check("input[name=kind][value=agency]")
    page.wait_for_function("document.querySelector('#result-count').innerText.includes('共找到 1 条')")
    assert "kind=agency" in page.url
    # the pushed URL reproduces the result set (shareable)
    page.goto(page.url)
    assert "共找到 1 条结果" in page.locator("#result-count").inner_text()
    assert page.locator("input[name=kind][value=agency]").is_checked()
    assert axe_violations(page) == []


def test_search_works_without_javascript(live_server, browser, data):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/search/")
    page.fill("#search-q", "浦江")
    page.press("#search-q", "Enter")
    page.wait_for_url("**q=*")
    assert "上海浦江专利代理有限公司" in page.locator("#search-results").inner_text()
    context.close()


def test_search_on_a_phone(live_server, phone_page, data):
    phone_page.goto(live_server + "/search/?q=专利代理")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    assert axe_violations(phone_page) == []
