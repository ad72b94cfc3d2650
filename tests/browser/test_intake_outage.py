"""A tip sent while the database is down: the form comes back in place (503) with what was
typed and a notice that nothing was saved, at desktop and phone widths, accessible."""

import os

import pytest

from portal.extensions import db
from tests.intake.test_faults import database_down

from .intake_helpers import axe_violations, wait_until

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
SHOTS = os.environ.get("PORTAL_SCREENSHOT_DIR")


@pytest.mark.parametrize("width", [1280, 390])
def test_tip_sent_during_an_outage_keeps_the_input(app, live_server, browser, tmp_path, width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    evidence = tmp_path / "付款记录.pdf"
    evidence.write_bytes(PDF)
    page.goto(live_server + "/tips/new")
    page.get_by_label("虚假宣传").check()
    page.get_by_label("未登记的经营者或个人").check()
    page.get_by_label("经营者名称").fill("演示知识产权咨询工作室")
    page.select_option("#place-province", "140000")
    page.wait_for_selector('#place-city option[value="140100"]', state="attached")
    page.select_option("#place-city", "140100")
    page.get_by_label("发生了什么").fill("数据库故障时提交：对方承诺包授权，收费后失联。")
    page.set_input_files("#evidence", str(evidence))
    page.get_by_label("我已阅读上述说明", exact=False).check()
    with app.app_context():
        engine = db.engine
    with database_down(engine):
        page.get_by_role("button", name="提交举报").click()
        wait_until(page, "document.querySelector('#form-notice') !== null")
        notice = page.locator("#form-notice").inner_text()
        assert "您的举报没有保存" in notice and "付款记录.pdf" in notice
        assert page.locator("#description").input_value().startswith("数据库故障时提交")
        assert page.locator("#place-city").input_value() == "140100"
        wait_until(page, "document.activeElement && document.activeElement.id === 'form-notice'")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"outage-{width}.png"), full_page=False)
        assert axe_violations(page) == []
    context.close()
