"""The tip form on a phone (Chromium, 390 px wide): each test is named after the defect it
prevents (issue 9).  Route interception stands in for the rate limit, an oversized request,
a server error and a lost connection."""

from __future__ import annotations

import pytest

from intake.models import Attachment, Tip
from portal.extensions import db

from .intake_helpers import axe_violations, wait_until

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
DESCRIPTION = "对方在网上承诺“包授权”，收取费用后失联，特此举报。"


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    yield page
    context.close()


def fill_form(page, live_server, *, evidence=None, description=DESCRIPTION):
    page.goto(live_server + "/tips/new")
    page.get_by_label("虚假宣传").check()
    page.get_by_label("未登记的经营者或个人").check()
    page.get_by_label("经营者名称").fill("演示知识产权咨询工作室")
    page.select_option("#place-province", "140000")
    page.wait_for_selector('#place-city option[value="140100"]', state="attached")
    page.select_option("#place-city", "140100")
    page.wait_for_selector('#place-district option[value="140105"]', state="attached")
    page.select_option("#place-district", "140105")
    page.get_by_label("发生了什么").fill(description)
    if evidence:
        page.set_input_files("#evidence", evidence)
    page.get_by_label("我已阅读上述说明", exact=False).check()


def tips(app):
    with app.app_context():
        return db.session.query(Tip).count()


def submit_button(page):
    return page.get_by_role("button", name="提交举报")


def test_double_click_on_submit_files_one_tip(app, live_server, phone, tmp_path):
    evidence = tmp_path / "合同.pdf"
    evidence.write_bytes(PDF)
    fill_form(phone, live_server, evidence=str(evidence))
    submit_button(phone).dblclick()
    phone.wait_for_selector("#receipt")
    phone.wait_for_timeout(500)  # a second request, had one been sent, has landed by now
    assert tips(app) == 1
    with app.app_context():
        assert db.session.query(Attachment).count() == 1
    assert axe_violations(phone) == []


def test_submit_back_submit_files_one_tip_and_says_it_was_filed(app, live_server, phone):
    fill_form(phone, live_server)
    submit_button(phone).click()
    phone.wait_for_selector("#receipt")
    code = phone.input_value("#tracking-code-field")
    phone.go_back()
    phone.wait_for_selector("#tip-form")
    assert phone.locator("#sent-notice").is_visible()  # said before anything is sent
    submit_button(phone).click()
    phone.wait_for_selector("#replay-notice")
    assert "这份举报已经提交过" in phone.locator("#replay-notice").inner_text()
    assert phone.input_value("#tracking-code-field") == code
    assert tips(app) == 1
    assert axe_violations(phone) == []


ERRORS = {
    "rate_limit_429": ({"status": 429, "headers": {"Retry-After": "42"}, "body": "x"},
                       "请在 42 秒后再试"),
    "too_large_413": ({"status": 413, "body": "x"}, "超过大小限制"),
    "server_error_500": ({"status": 500, "body": "<html><body>Internal</body></html>"},
                         "服务器暂时出现问题"),
    "offline": (None, "网络连接中断"),
}


@pytest.mark.parametrize("reply, message", ERRORS.values(), ids=ERRORS.keys())
def test_error_answer_is_shown_not_silent_and_input_is_kept(app, live_server, phone, reply,
                                                             message):
    fill_form(phone, live_server)

    def answer(route):
        if route.request.method != "POST":
            route.continue_()
        elif reply is None:
            route.abort("internetdisconnected")
        else:
            route.fulfill(**reply)

    phone.route("**/tips/new", answer)
    submit_button(phone).click()
    status = phone.locator("#submit-status")
    status.wait_for(state="visible")
    assert message in status.inner_text()
    assert phone.evaluate("document.activeElement.id") == "submit-status"
    assert phone.get_by_label("发生了什么").input_value() == DESCRIPTION
    assert submit_button(phone).is_enabled()  # re-enabled: the person can try again
    assert "Internal" not in phone.content()  # never a page inside the page
    assert tips(app) == 0
    assert axe_violations(phone) == []
    # Trying again once the network is back files the tip.
    phone.unroute("**/tips/new")
    submit_button(phone).click()
    phone.wait_for_selector("#receipt")
    assert tips(app) == 1


def test_cookies_cleared_mid_fill_keep_input_give_new_token_and_name_files(app, live_server,
                                                                          phone, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    evidence = tmp_path / "付款记录.pdf"
    evidence.write_bytes(PDF)
    fill_form(phone, live_server, evidence=str(evidence))
    old_token = phone.input_value('#tip-form input[name="csrf_token"]')
    phone.context.clear_cookies()
    submit_button(phone).click()
    notice = phone.locator("#form-notice")
    notice.wait_for()
    assert "页面已过期" in notice.inner_text() and "付款记录.pdf" in notice.inner_text()
    assert phone.get_by_label("发生了什么").input_value() == DESCRIPTION
    assert phone.get_by_label("经营者名称").input_value() == "演示知识产权咨询工作室"
    assert phone.input_value('#tip-form input[name="csrf_token"]') != old_token
    assert phone.locator(".site-header").count() == 1  # no page inside the page
    assert phone.evaluate("document.activeElement.id") == "form-notice"
    assert axe_violations(phone) == []
    phone.set_input_files("#evidence", str(evidence))
    submit_button(phone).click()
    phone.wait_for_selector("#receipt")
    assert tips(app) == 1


def test_radio_and_checkbox_share_a_row_with_their_label_and_show_the_one_clicked(live_server,
                                                                                 phone):
    phone.goto(live_server + "/tips/new")
    phone.get_by_label("未登记的经营者或个人").check()
    for choice in phone.locator("#tip-form .choice").all():
        control = choice.locator("input").bounding_box()
        label = choice.locator("label").bounding_box()
        assert abs(control["y"] - label["y"]) < 12, choice.inner_text()  # same row
        assert control["x"] + control["width"] <= label["x"]  # beside it, before it
        assert control["height"] >= 20  # a finger-sized control in a finger-sized row
        assert choice.bounding_box()["height"] >= 40
    checked = phone.locator('#tip-form .choice:has(input[name="party_kind"]:checked) label')
    assert checked.inner_text() == "未登记的经营者或个人"
    assert phone.get_by_label("未登记的经营者或个人").is_checked()
    assert not phone.get_by_label("名录中登记的代理机构").is_checked()


def test_focus_moves_to_error_summary_after_failed_submit(live_server, phone):
    phone.goto(live_server + "/tips/new")
    phone.get_by_label("发生了什么").fill("太短")
    submit_button(phone).click()
    phone.wait_for_selector("#form-errors")
    wait_until(phone, "document.activeElement && document.activeElement.id === 'form-errors'")
    top = phone.evaluate("document.getElementById('form-errors').getBoundingClientRect().top")
    assert -2 < top < 844  # scrolled into view on the phone
    assert "请选择举报类别" in phone.locator("#form-errors").inner_text()
    assert axe_violations(phone) == []


def test_progress_bar_shows_during_a_5_mb_upload(app, live_server, phone, tmp_path):
    evidence = tmp_path / "大文件.pdf"
    evidence.write_bytes(PDF + b"0" * (5 * 1024 * 1024))
    fill_form(phone, live_server, evidence=str(evidence))
    # Mobile data: about 2 MB/s up, so the upload takes a few seconds.
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 40, "downloadThroughput": 4_000_000,
        "uploadThroughput": 2_000_000})
    # Record what the bar shows while the request is in flight.
    phone.evaluate("""() => {
      window.__seen = [];
      document.addEventListener("htmx:xhr:progress", () => {
        const box = document.getElementById("upload-progress");
        const button = document.querySelector("#tip-form button[type=submit]");
        if (box) window.__seen.push({shown: !box.hidden,
          text: document.getElementById("upload-progress-text").textContent,
          disabled: button.disabled});
      });
    }""")
    submit_button(phone).click()
    phone.locator("#upload-progress").wait_for(state="visible")
    assert axe_violations(phone) == []
    phone.wait_for_selector("#receipt", timeout=60000)
    seen = phone.evaluate("window.__seen")
    percents = [int(s["text"].rstrip("%")) for s in seen if s["shown"]]
    assert len(percents) >= 3 and max(percents) == 100  # it moved, up to the whole request
    assert any(0 < p < 100 for p in percents)
    assert all(s["disabled"] for s in seen)  # no second tap while it is in flight
    assert tips(app) == 1


def test_tracking_code_never_wraps_inside_a_group_and_can_be_copied(live_server, phone):
    fill_form(phone, live_server)
    submit_button(phone).click()
    phone.wait_for_selector("#receipt")
    groups = phone.locator("#tracking-code .code-group")
    heights = {round(box["height"]) for box in (g.bounding_box() for g in groups.all())}
    assert groups.count() == 5 and len(heights) == 1  # every group is one line high
    code = phone.input_value("#tracking-code-field")
    assert phone.inner_text("#tracking-code") == code
    phone.get_by_role("button", name="复制查询码").click()
    wait_until(phone, "document.getElementById('copy-status').textContent.length > 0")
    assert phone.evaluate("navigator.clipboard.readText()") == code
    assert phone.get_by_role("button", name="打印或保存为 PDF").is_visible()
    assert phone.evaluate("document.activeElement.id") in ("receipt-heading", "tracking-code-field")
    assert axe_violations(phone) == []


def test_counter_and_draft_survive_a_reload(live_server, phone):
    phone.goto(live_server + "/tips/new")
    phone.get_by_label("经营者名称").fill("草稿里的经营者")
    phone.get_by_label("发生了什么").fill(DESCRIPTION)
    phone.reload()
    wait_until(phone, "document.getElementById('description').value.length > 0")
    assert phone.get_by_label("发生了什么").input_value() == DESCRIPTION
    assert phone.inner_text("#description-counter").startswith(f"{len(DESCRIPTION)} / ")
    assert phone.get_by_label("经营者名称").input_value() == "草稿里的经营者"
