"""Typical cases in Chromium: a bureau lead writes a case linked to a penalty (by pasting
the penalty's public address), publishes it; it shows on the case list, its own page, the
penalty's page and the agency's profile.  axe-core clean; no sideways scroll at 390 px."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.register.urls import agency_url, record_url
from tests.factories.register import make_agency, make_penalty
from tests.factories.staff import PASSWORD, make_staff

from .conftest import axe_violations

TITLE = "批量代理非正常专利申请典型案例"


@pytest.fixture
def penalty(app):
    with app.test_request_context():
        make_staff("140100", "lead", email="lead@example.org")
        agency = make_agency(name="太原典型案例测试知识产权代理有限公司")
        penalty = make_penalty(agency, party_name=agency.name,
                               violation_type="代理非正常专利申请")
        db.session.commit()
        return {"url": record_url(penalty), "agency_url": agency_url(agency)}


def _no_sideways_scroll(page) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 390 px"
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_lead_writes_and_publishes_a_case(live_server, browser, penalty):
    lead = browser.new_context(locale="zh-CN").new_page()
    lead.goto(live_server + "/staff/login")
    lead.fill("#email", "lead@example.org")
    lead.fill("#password", PASSWORD)
    lead.click("main button[type=submit]")
    lead.wait_for_url("**/staff/")
    lead.click("nav.staff-nav >> text=典型案例")
    lead.wait_for_url("**/staff/cases/")
    assert axe_violations(lead) == []
    lead.click("text=撰写典型案例")
    # a bad link first: the form comes back with the error next to the field
    lead.fill("#case-title", TITLE)
    lead.fill("#case-summary", "一家机构批量代理内容雷同的专利申请。")
    lead.fill("#case-body", "## 基本案情\n\n经查，当事人**批量**代理。\n\n<script>alert(1)</script>")
    lead.check("#tag-1")
    lead.fill("#case-links", "不存在的文号")
    lead.click("button:has-text('保存为草稿')")
    assert lead.locator("#err-links").is_visible()
    assert lead.locator("#case-links").get_attribute("aria-invalid") == "true"
    assert axe_violations(lead) == []
    lead.fill("#case-links", live_server + penalty["url"])
    lead.click("button:has-text('保存为草稿')")
    lead.wait_for_selector("text=已保存为草稿")
    assert lead.locator(".case-body strong").inner_text() == "批量"
    assert axe_violations(lead) == []
    _no_sideways_scroll(lead)
    lead.click("button:has-text('发布')")
    lead.wait_for_selector("text=已发布。")

    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.goto(live_server + "/cases/")
    visitor.click(f"text={TITLE}")
    assert visitor.locator("h1").inner_text() == TITLE
    assert visitor.locator(".case-links a").get_attribute("href") == penalty["url"]
    assert visitor.locator(".case-body script").count() == 0
    assert "<script>alert(1)</script>" in visitor.locator(".case-body").inner_text()
    assert axe_violations(visitor) == []
    _no_sideways_scroll(visitor)
    for url in (penalty["url"], penalty["agency_url"]):
        visitor.goto(live_server + url)
        link = visitor.locator("#cases ~ ul.case-items a")
        assert link.inner_text() == TITLE
        assert axe_violations(visitor) == []
        _no_sideways_scroll(visitor)
    visitor.goto(live_server + "/cases/")
    assert axe_violations(visitor) == []
    _no_sideways_scroll(visitor)
