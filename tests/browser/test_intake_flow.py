"""A reporter files a tip with a file in Chromium, reads the receipt, follows the tip."""

from intake import messages, workflow
from intake.models import OutboxMail, Tip
from portal.extensions import db

from .intake_helpers import axe_violations

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def test_file_a_tip_read_receipt_and_track_it(app, live_server, page, tmp_path):
    evidence = tmp_path / "合同截图.pdf"
    evidence.write_bytes(PDF)

    page.goto(live_server + "/tips/new")
    assert axe_violations(page) == []
    page.get_by_label("虚假宣传").check()
    page.get_by_label("未登记的经营者或个人").check()
    page.get_by_label("经营者名称").fill("演示知识产权咨询工作室")
    # The htmx cascade: choosing a province loads its cities, a city its districts.
    page.select_option("#place-province", "140000")
    page.wait_for_selector('#place-city option[value="140100"]', state="attached")
    page.select_option("#place-city", "140100")
    page.wait_for_selector('#place-district option[value="140105"]', state="attached")
    page.select_option("#place-district", "140105")
    page.get_by_label("发生了什么").fill("对方在网上承诺“包授权”，收取费用后失联。")
    assert page.locator("#description-counter").inner_text().startswith("21 / ")
    page.set_input_files("#evidence", str(evidence))
    page.get_by_label("我已阅读上述说明", exact=False).check()
    page.get_by_role("button", name="提交举报").click()

    page.wait_for_url("**/tips/receipt")
    code = page.locator("#tracking-code").inner_text().strip()
    assert len(code) == 22 and code.count("-") == 4
    assert "太原市小店区市场监督管理局" in page.locator("#tip-bureau").inner_text()
    reference = page.locator("#tip-reference").inner_text()
    assert "1 个文件" in page.content()
    assert axe_violations(page) == []

    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.reference == reference and tip.attachments[0].original_name == "合同截图.pdf"

    # The reporter writes first, unasked, and leaves a notification-only address (#13).
    page.goto(live_server + "/tips/track")
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    page.wait_for_selector("#tip-status")
    page.get_by_label("补充说明").fill("我先补充一点：对方的微信号是 demo-wx。")
    page.get_by_role("button", name="发送").click()
    page.wait_for_selector("text=已收到您补充的材料")
    assert "我先补充一点" in page.locator("#tip-conversation").inner_text()
    page.get_by_label("仅用于通知的电子邮箱").fill("notify-only@example.com")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已开启邮件通知")
    assert axe_violations(page) == []

    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.reporter_message_unread and tip.events[-1].kind == "reporter_message"
        workflow.accept(tip, None)
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMail)) == 0
        staff = db.session.scalar(db.select(workflow.Bureau).where(
            workflow.Bureau.code == "140105"))
        from tests.factories.staff import make_staff

        replier = make_staff(staff.code, "staff")
        messages.staff_message(tip, replier, "谢谢，我们会一并核查。")
        workflow.request_info(tip, None, "请补充付款记录。")
        db.session.commit()
        mails = list(db.session.scalars(db.select(OutboxMail).order_by(OutboxMail.id)))
        assert [m.event.kind for m in mails] == ["staff_message", "info_requested"]
        for mail in mails:  # only "there is news": no content, no code
            assert "谢谢" not in mail.body and "付款" not in mail.body and code not in mail.body
            assert "/tips/track" in mail.body and mail.to == ""

    page.goto(live_server + "/tips/track")
    page.wait_for_selector("#tip-status")
    conversation = page.locator("#tip-conversation").inner_text()
    assert conversation.index("我先补充一点") < conversation.index("谢谢，我们会一并核查。")
    assert reference in page.locator("#status-heading").inner_text()
    assert "等待举报人补充材料" in page.locator("#tip-status-text").inner_text()
    assert "请补充付款记录。" in page.locator("#tip-timeline").inner_text()
    assert code not in page.url
    assert axe_violations(page) == []

    page.get_by_label("补充说明").fill("付款记录见附件。")
    page.set_input_files("#evidence", str(evidence))
    page.get_by_role("button", name="提交补充材料").click()
    page.wait_for_selector("text=已收到您补充的材料")
    assert "已受理，正在核查" in page.locator("#tip-status-text").inner_text()


def test_form_errors_inline_with_htmx_keep_input(live_server, page):
    page.goto(live_server + "/tips/new")
    page.get_by_label("发生了什么").fill("太短")
    page.get_by_role("button", name="提交举报").click()
    page.wait_for_selector("#form-errors")
    assert page.url.endswith("/tips/new")
    assert page.get_by_label("发生了什么").input_value() == "太短"
    assert "请选择举报类别" in page.locator("#form-errors").inner_text()
    assert axe_violations(page) == []


def test_form_works_without_javascript(live_server, browser, tmp_path):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/tips/new")
        page.get_by_label("虚假宣传").check()
        page.get_by_label("未登记的经营者或个人").check()
        page.get_by_label("经营者名称").fill("演示工作室")
        page.select_option("#place-province", "310000")
        page.get_by_role("button", name="更新城市和区县列表").click()
        page.select_option("#place-district", "310115")
        page.get_by_label("发生了什么").fill("无脚本环境下提交的举报内容。")
        page.get_by_label("我已阅读上述说明", exact=False).check()
        page.get_by_role("button", name="提交举报").click()
        page.wait_for_selector("#receipt")  # the POST's own response: no receipt state kept
        assert "浦东新区" in page.locator("#tip-bureau").inner_text()
        assert page.input_value("#tracking-code-field").count("-") == 4  # selectable, no JS
    finally:
        context.close()
