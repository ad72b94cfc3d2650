"""The life of a tip once in English, in Chromium: file, receipt, track, the bureau asks and
concludes; every page and the timeline in English (Chinese only inside lang="zh" data)."""

from intake import workflow
from intake.models import Tip
from portal.extensions import db
from tests.portal.test_english import foreign_text

from .intake_helpers import axe_violations

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _english_only(page) -> None:
    assert page.locator("html").get_attribute("lang") == "en"
    found = foreign_text(page.content())
    assert found == [], f"{page.url}: Chinese outside lang=zh: {found[:8]}"
    assert axe_violations(page) == []


def test_tip_life_in_english(app, live_server, page, tmp_path):
    evidence = tmp_path / "contract.pdf"
    evidence.write_bytes(PDF)

    page.goto(live_server + "/tips/new?lang=en")
    _english_only(page)
    page.get_by_label("False advertising").check()
    page.get_by_label("Unregistered operator or individual").check()
    page.get_by_label("Operator name").fill("演示知识产权咨询工作室")
    page.select_option("#place-province", "140000")
    page.wait_for_selector('#place-city option[value="140100"]', state="attached")
    page.select_option("#place-city", "140100")
    page.wait_for_selector('#place-district option[value="140105"]', state="attached")
    page.select_option("#place-district", "140105")
    page.get_by_label("What happened").fill("They promised a guaranteed grant, took the fee "
                                             "and disappeared.")
    page.set_input_files("#evidence", str(evidence))
    page.get_by_label("I have read the above", exact=False).check()
    page.get_by_role("button", name="Submit report").click()

    page.wait_for_url("**/tips/receipt")
    code = page.locator("#tracking-code").inner_text().strip()
    assert len(code) == 22
    _english_only(page)

    page.goto(live_server + "/tips/track")
    page.get_by_label("Tracking code").fill(code)
    page.get_by_role("button", name="Look up").click()
    page.wait_for_selector("#tip-status")
    _english_only(page)
    timeline = page.locator("#tip-timeline").inner_text()
    assert "We have received your tip." in timeline
    assert "to handle." in timeline  # "Your tip has been sent to <bureau> to handle."

    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        workflow.accept(tip, None)
        workflow.request_info(tip, None, "请补充付款记录。")
        db.session.commit()
    page.goto(live_server + "/tips/track")
    page.wait_for_selector("#tip-status")
    _english_only(page)
    assert "Awaiting more information from reporter" in page.locator(
        "#tip-status-text").inner_text()
    assert "asks you for more information" in page.locator("#tip-timeline").inner_text()

    # The reporter answers on the English page; the bureau concludes.
    page.get_by_label("Additional details").fill("付款记录见附件。")
    page.set_input_files("#evidence", str(evidence))
    page.get_by_role("button", name="Submit additional information").click()
    page.wait_for_selector("#tip-status")
    assert "Accepted, under verification" in page.locator("#tip-status-text").inner_text()
    _english_only(page)

    with app.app_context():
        tip = db.session.scalar(db.select(Tip))
        assert tip.status == workflow.TipStatus.ACCEPTED
        workflow.conclude(tip, None, "not_substantiated", "经核查，未发现举报反映的违法行为。")
        db.session.commit()
    page.goto(live_server + "/tips/track")
    page.wait_for_selector("#tip-status")
    _english_only(page)
    timeline = page.locator("#tip-timeline").inner_text()
    assert "has concluded your tip. Outcome: Not substantiated." in timeline
    # The events read in order, each in English.
    assert (timeline.index("We have received your tip.")
            < timeline.index("has accepted your tip")
            < timeline.index("has concluded your tip"))
