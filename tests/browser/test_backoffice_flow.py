"""The full life of a tip in Chromium: a reporter files it -> bureau A accepts and asks for
information -> the reporter answers on the tracking page -> A transfers to B -> B's staff
proposes a conclusion, B's lead approves -> the reporter reads the reply.  Bureau C
(小店区) can open neither the tip nor its file at any step.  axe on the staff pages."""

from __future__ import annotations

import pytest

from intake.models import Tip
from portal.extensions import db
from tests.factories.intake import PDF
from tests.factories.staff import PASSWORD, make_staff

from .conftest import axe_violations

ACCOUNTS = {
    "a_staff": ("140100", "staff"), "a_lead": ("140100", "lead"),
    "b_staff": ("140200", "staff"), "b_lead": ("140200", "lead"),
    "c_staff": ("140105", "staff"),
}


@pytest.fixture
def accounts(app):
    with app.app_context():
        for name, (code, role) in ACCOUNTS.items():
            make_staff(code, role, email=f"{name}@example.org")
    return ACCOUNTS


def _staff_page(browser, live_server, name):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(live_server + "/staff/login")
    page.fill("#email", f"{name}@example.org")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/staff/")
    return page


def _c_sees_nothing(c_page, live_server, ref, att_id):
    resp = c_page.request.get(f"{live_server}/staff/tips/{ref}")
    assert resp.status == 404
    resp = c_page.request.get(f"{live_server}/staff/tips/{ref}/files/{att_id}")
    assert resp.status == 404 and b"%PDF" not in resp.body()
    assert ref not in c_page.request.get(f"{live_server}/staff/").text()


def test_tip_life_across_two_bureaus(app, live_server, browser, accounts, tmp_path):
    # -- the reporter files a tip through the public form ---------------------------
    reporter = browser.new_context(locale="zh-CN").new_page()
    reporter.goto(live_server + "/tips/new")
    reporter.check("#category-1")
    reporter.check("#party-operator")
    reporter.fill("#operator_name", "某某知识产权咨询工作室")
    reporter.select_option("#place-province", "140000")
    reporter.wait_for_selector("#place-city option[value='140100']", state="attached")
    reporter.select_option("#place-city", "140100")
    reporter.wait_for_selector("#place-district option[value='140121']", state="attached")
    reporter.select_option("#place-district", "140121")
    reporter.fill("#description", "该工作室声称有内部快速授权渠道，收取费用后一直未提交申请。")
    evidence = tmp_path / "合同.pdf"
    evidence.write_bytes(PDF)
    reporter.set_input_files("#evidence", str(evidence))
    reporter.check("#identity-named")
    reporter.fill("#reporter_name", "举报人乙")
    reporter.fill("#reporter_phone", "13900000000")
    reporter.check("#consent")
    reporter.get_by_role("button", name="提交举报").click()
    reporter.wait_for_selector("#tracking-code")
    code = reporter.inner_text("#tracking-code").strip()
    ref = reporter.inner_text("#tip-reference").strip()
    with app.app_context():
        tip = db.session.scalar(db.select(Tip).where(Tip.reference == ref))
        assert tip.bureau.code == "140100", tip.routing_reason
        att_id = tip.attachments[0].id

    c_page = _staff_page(browser, live_server, "c_staff")
    _c_sees_nothing(c_page, live_server, ref, att_id)

    # -- bureau A accepts and asks for more information -----------------------------
    a_page = _staff_page(browser, live_server, "a_staff")
    assert axe_violations(a_page) == []  # the queue
    a_page.click(f"text={ref}")
    a_page.wait_for_url(f"**/staff/tips/{ref}")
    # The reporter's identity is shown only on request, and the view is audited.
    assert "举报人乙" not in a_page.content() and "合同.pdf" in a_page.content()
    assert axe_violations(a_page) == []  # the tip page
    a_page.click("text=查看举报人身份和联系方式")
    assert "举报人乙" in a_page.content() and "本次查看已记入访问日志" in a_page.content()
    assert axe_violations(a_page) == []  # the identity page
    a_page.go_back()
    a_page.wait_for_url(f"**/staff/tips/{ref}")
    with a_page.expect_download() as download:
        a_page.click("text=合同.pdf")
    assert download.value.suggested_filename == "合同.pdf"
    a_page.click("form.action-accept button")
    a_page.wait_for_selector(".flash-success")
    a_page.fill("#question", "请提供付款凭证。")
    a_page.click("form.action-request_info button")
    a_page.wait_for_selector(".flash-success")
    _c_sees_nothing(c_page, live_server, ref, att_id)

    # -- the reporter answers on the tracking page -----------------------------------
    reporter.goto(live_server + "/tips/track")
    reporter.fill("#code", code)
    reporter.click("main form button[type=submit]")
    reporter.wait_for_selector("#tip-status")
    assert "请提供付款凭证。" in reporter.inner_text("#tip-timeline")
    reporter.fill("#text", "付款凭证已补充，见附件说明。")
    reporter.click("#tip-status form button[type=submit]")
    reporter.wait_for_selector("#tip-status")

    # -- A transfers to B -------------------------------------------------------------
    a_page.reload()
    assert "付款凭证已补充" in a_page.content()
    with app.app_context():
        from portal.register.models import Bureau

        datong = db.session.scalar(db.select(Bureau).where(Bureau.code == "140200")).id
    a_page.select_option("#to_bureau", str(datong))
    a_page.fill("#transfer-reason", "工作室实际经营地在大同市。")
    a_page.click("form.action-transfer button")
    a_page.wait_for_url("**/staff/")
    assert ref not in a_page.content()
    _c_sees_nothing(c_page, live_server, ref, att_id)

    # -- B's staff proposes, B's lead approves -----------------------------------------
    b_page = _staff_page(browser, live_server, "b_staff")
    b_page.click(f"text={ref}")
    b_page.click("form.action-accept button")
    b_page.wait_for_selector(".flash-success")
    b_page.select_option("#outcome", "substantiated")
    b_page.fill("#public_reply", "经核查，举报属实，已责令该工作室停止违法行为。")
    b_page.click("form.action-conclude button")
    b_page.wait_for_selector(".flash-success")
    assert "核查完毕，等待审核" in b_page.content()
    lead = _staff_page(browser, live_server, "b_lead")
    lead.goto(f"{live_server}/staff/tips/{ref}")
    lead.click("form.action-approve_conclusion button")
    lead.wait_for_selector(".flash-success")
    assert "已办结" in lead.content()
    _c_sees_nothing(c_page, live_server, ref, att_id)
    lead.goto(f"{live_server}/staff/dashboard")
    assert axe_violations(lead) == []  # the dashboard

    # -- the reporter reads the reply ------------------------------------------------------
    reporter.goto(live_server + "/tips/track")
    if reporter.locator("#code").count():
        reporter.fill("#code", code)
        reporter.click("main form button[type=submit]")
    reporter.wait_for_selector("#tip-status")
    timeline = reporter.inner_text("#tip-timeline")
    assert "经核查，举报属实，已责令该工作室停止违法行为。" in timeline
    assert "工作室实际经营地在大同市" not in reporter.content()  # internal reason stays internal
    assert "已办结" in reporter.inner_text("#tip-status-text")


def test_login_page_is_accessible(live_server, page):
    page.goto(live_server + "/staff/login")
    assert axe_violations(page) == []
    page.fill("#email", "nobody@example.org")
    page.fill("#password", "wrong password")
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash-error")
    assert "电子邮箱或密码不正确" in page.content()
