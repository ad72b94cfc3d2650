"""Credit repair in Chromium: from the penalty's public page an agency applies (with a
file) and gets a tracking code; the bureau's lead signs in, confirms the applicant's
identity and approves; the penalty's page now says it is no longer published (repaired),
it is gone from the list and from search; the applicant's tracking page shows the
approval.  axe on the public repair pages; no horizontal scroll at 390 px."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests.factories.intake import PDF
from tests.factories.register import days_ago, make_agency, make_penalty
from tests.factories.staff import PASSWORD, make_staff

from .conftest import axe_violations

NUMBER = "并市监罚〔2025〕777号"


@pytest.fixture
def penalty(app):
    with app.test_request_context():
        agency = make_agency(name="太原修复浏览器测试专利代理有限公司", licence_no="14777",
                             division_code="140121")
        record = make_penalty(agency, decision_number=NUMBER, decided_on=days_ago(410),
                              published_on=days_ago(400))
        make_staff("140100", "lead", email="repair-lead@example.org")
        db.session.commit()
        return {"key": record.decision_key, "uscc": agency.uscc, "licence": agency.licence_no}


def _no_axe_or_scroll(page):
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 800})


def test_application_from_penalty_page_to_approval(app, live_server, browser, penalty,
                                                   tmp_path):
    proof = tmp_path / "缴款凭证.pdf"
    proof.write_bytes(PDF)
    applicant = browser.new_context(locale="zh-CN").new_page()
    applicant.goto(f"{live_server}/penalties/{penalty['key']}")
    _no_axe_or_scroll(applicant)
    applicant.click("#repair-apply")
    applicant.wait_for_selector("#uscc")
    _no_axe_or_scroll(applicant)
    # A wrong licence number is refused with a clear message; the form comes back.
    applicant.fill("#uscc", penalty["uscc"])
    applicant.fill("#licence_no", "00000")
    applicant.fill("#contact_name", "联系人丙")
    applicant.fill("#contact_phone", "13900000001")
    applicant.fill("#statement", "已于二〇二五年按期缴清全部罚款，并完成内部整改，现申请信用修复。")
    applicant.set_input_files("#files", str(proof))
    applicant.check("#pledge")
    applicant.click("main form button[type=submit]")
    assert "执业许可证号与该机构登记的许可证号不一致" in applicant.inner_text("main")
    _no_axe_or_scroll(applicant)
    applicant.fill("#licence_no", penalty["licence"])
    applicant.set_input_files("#files", str(proof))
    applicant.check("#pledge")
    applicant.click("main form button[type=submit]")
    applicant.wait_for_selector("#tracking-code-field")
    code = applicant.input_value("#tracking-code-field")
    reference = applicant.inner_text("#repair-reference")
    _no_axe_or_scroll(applicant)

    # The lead signs in, confirms who applied, approves.
    lead = browser.new_context(locale="zh-CN").new_page()
    lead.goto(live_server + "/staff/login")
    lead.fill("#email", "repair-lead@example.org")
    lead.fill("#password", PASSWORD)
    lead.click("main button[type=submit]")
    lead.wait_for_url("**/staff/")
    lead.click("nav.staff-nav >> text=信用修复申请")
    lead.click(f"text={reference}")
    assert lead.is_disabled("#repair-approve")
    lead.fill("#verify-note", "已回拨登记电话并查验营业执照")
    lead.click("#repair-verify button[type=submit]")
    assert "已核实" in lead.inner_text("#repair-identity")
    assert axe_violations(lead) == []
    lead.click("#repair-approve")
    assert "准予修复" in lead.inner_text("#repair-status-badge")

    # The public register: no longer published, gone from the list and from search.
    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.goto(f"{live_server}/penalties/{penalty['key']}")
    text = visitor.inner_text("main")
    assert "信息已停止公示" in text and "信用修复" in text
    visitor.goto(f"{live_server}/penalties/")
    assert NUMBER not in visitor.inner_text("main")
    visitor.goto(f"{live_server}/search/?q=太原修复浏览器测试")
    assert NUMBER not in visitor.inner_text("main")

    # The applicant follows it with the code.
    applicant.goto(live_server + "/repair/track")
    _no_axe_or_scroll(applicant)
    applicant.fill("#code", code)
    applicant.click("main form button[type=submit]")
    applicant.wait_for_selector("#repair-track-status")
    assert code not in applicant.url
    assert applicant.inner_text("#repair-track-status") == "准予修复"
    assert "准予信用修复" in applicant.inner_text("#repair-events")
    _no_axe_or_scroll(applicant)
