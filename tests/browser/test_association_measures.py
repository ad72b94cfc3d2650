"""The association publisher in Chromium (issue 14): signs in, lands on its records,
publishes a self-discipline measure through the form, and the measure shows on the
agency's profile and its own page; the vocabulary page.  axe-core on every page, and no
horizontal scroll at 390 px."""

from __future__ import annotations

import pytest

from portal.association import measure_kinds
from portal.extensions import db
from portal.register.models import AssociationMeasure
from tests.factories.register import days_ago, make_agency
from tests.factories.staff import PASSWORD, make_staff

from .conftest import axe_violations

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(app):
    with app.test_request_context():
        measure_kinds.ensure_default_kinds()
        agency = make_agency(name="太原浏览器测试专利代理有限公司")
        make_staff("140000", "association", email="assoc@example.org")
        db.session.commit()
        return {"uscc": agency.uscc}


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def _clean(page) -> None:
    assert axe_violations(page) == [], page.url


def test_publisher_publishes_a_measure_that_shows_on_the_profile(app, live_server, browser,
                                                                 world):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(live_server + "/staff/login")
    page.fill("#email", "assoc@example.org")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/staff/records")  # the landing page of the role
    assert page.locator("nav.staff-nav").get_by_text("举报队列").count() == 0
    _clean(page)

    page.get_by_role("link", name="发布行业自律惩戒").click()
    page.wait_for_selector("#measure")
    _clean(page)
    page.get_by_role("button", name="发布").click()  # empty: errors, nothing published
    page.wait_for_selector("#err-facts")
    _clean(page)
    page.fill("#party_uscc", world["uscc"])
    page.select_option("#measure", label="通报批评")
    page.fill("#facts", "该机构以明显低于成本的价格招揽业务。")
    page.fill("#basis", "《专利代理行业自律惩戒规则》第十一条")
    page.fill("#decided_by", "山西省专利代理师协会")
    page.fill("#decided_on", days_ago(12).isoformat())
    page.fill("#decision_number", "晋专代协惩〔2026〕3号")
    page.fill("#published_on", days_ago(2).isoformat())
    page.get_by_role("button", name="发布").click()
    page.wait_for_selector(".flash-success")
    with app.app_context():
        record = db.session.scalar(db.select(AssociationMeasure))
        assert record.measure == "circulated_criticism" and record.bureau.code == "140000"
        record_id = record.id

    page.goto(f"{live_server}/staff/association/measure-kinds")
    _clean(page)
    context.close()

    visitor = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True).new_page()
    visitor.goto(f"{live_server}/agencies/{world['uscc']}")
    section = visitor.locator("#measures + table")
    assert "通报批评" in section.inner_text() and "山西省专利代理师协会" in section.inner_text()
    _clean(visitor)
    _no_horizontal_scroll(visitor)
    section.get_by_role("link", name="通报批评").click()
    visitor.wait_for_url(f"**/association-measures/{record_id}")
    assert "《专利代理行业自律惩戒规则》第十一条" in visitor.inner_text("main")
    _clean(visitor)
    _no_horizontal_scroll(visitor)
    visitor.goto(f"{live_server}/association-measures/")
    assert "通报批评" in visitor.inner_text("#results")
    _clean(visitor)
    _no_horizontal_scroll(visitor)
