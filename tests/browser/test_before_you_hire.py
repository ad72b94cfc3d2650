"""Before you hire (issue 16) in Chromium: the profile's panel above the grade, comparing four
agencies from search results, checking a 20-line shortlist (pick, download XLSX), printing a
report to PDF and verifying its code; axe-core, 390 px, Chinese and English."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from portal.extensions import db
from tests.browser.conftest import axe_violations
from tests.factories.register import (
    days_ago,
    make_agency,
    make_grade,
    make_list_entry,
    make_penalty,
)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def agencies(app):
    with app.test_request_context():
        listed = make_agency(name="太原慎选知识产权代理有限公司")
        make_grade(listed, grade="A", period="2024")
        make_list_entry(listed, included_on=days_ago(20))
        make_penalty(listed)
        others = [make_agency(name=f"太原优选{n}号知识产权代理有限公司") for n in range(1, 18)]
        make_grade(others[0], grade="D", period="2024")
        make_agency(name="太原同名专利代理事务所（普通合伙）")
        make_agency(name="太原同名专利代理事务所有限公司")
        db.session.commit()
        return {"listed": listed.uscc, "listed_name": listed.name,
                "others": [(a.uscc, a.name) for a in others]}


def _no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_profile_shows_the_panel_above_the_grade(browser, live_server, agencies):
    for lang, width in (("zh_CN", 1280), ("en", PHONE["width"])):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server}/agencies/{agencies['listed']}?lang={lang}")
        panel = page.locator("section.attention")
        grade = page.locator("section.grade-box")
        assert panel.bounding_box()["y"] < grade.bounding_box()["y"]
        assert panel.locator("li.signal-red").count() == 2
        assert axe_violations(page) == []
        if width == PHONE["width"]:
            _no_overflow(page)
        context.close()


def test_compare_four_from_search_results(browser, live_server, agencies):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/search/?q=太原优选")
    boxes = page.locator("input[type=checkbox][form=compare-form]")
    assert boxes.count() >= 4
    for i in range(4):
        boxes.nth(i).check()
    page.get_by_role("button", name="比较所选机构").click()
    page.wait_for_url("**/compare?**")
    assert page.locator("table.compare thead th").count() == 5
    assert page.url.count("a=") == 4  # the basket is in the URL: a comparison can be shared
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    _no_overflow(page)
    page.goto(page.url + "&lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert axe_violations(page) == []
    context.close()


def test_check_twenty_lines_pick_and_download(browser, live_server, agencies):
    lines = [agencies["listed"]] + [name for _, name in agencies["others"]]
    lines += ["太原同名专利代理事务所", "太原查无此名知识产权代理有限公司"]
    assert len(lines) == 20
    context = browser.new_context(locale="zh-CN", viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/check")
    page.fill("#lines", "\n".join(lines))
    page.get_by_role("button", name="开始核查").click()
    page.wait_for_selector("table.check-table")
    assert page.locator("tr.line-ambiguous").count() == 1
    assert page.locator("tr.line-unmatched").count() == 1
    assert axe_violations(page) == []
    _no_overflow(page)
    page.locator("tr.line-ambiguous input[type=radio]").first.check()
    page.get_by_role("button", name="按所选重新核查").click()
    page.wait_for_selector("table.check-table")
    assert page.locator("tr.line-ambiguous").count() == 0
    shown = {}
    for row in page.locator("table.check-table tbody tr").all():
        no = int(row.locator("td").first.inner_text())
        flag = row.locator(".flag")
        shown[no] = flag.inner_text().strip() if flag.count() else None
    with page.expect_download() as info:
        page.get_by_role("button", name="下载 XLSX").click()
    data = Path(info.value.path()).read_bytes()
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))[1:]
    assert len(rows) == 20
    assert {r[0]: r[7] for r in rows} == shown
    assert shown[1] == "红色" and shown[2] == "黄色" and shown[20] is None
    context.close()


def test_print_a_report_to_pdf_and_verify_it(browser, live_server, agencies):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/agencies/{agencies['listed']}")
    page.get_by_role("button", name="打印 / 下载 PDF").click()
    # The profile is a page shared by every visitor (cached, no CSRF token): the report is
    # issued from the page that asks for it.
    page.wait_for_url("**/report/new?**")
    assert axe_violations(page) == []
    page.get_by_role("button", name="生成报告").click()
    page.wait_for_url("**/report/**")
    code = page.locator(".report-code").inner_text()
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")  # the browser's print path
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert code in text and agencies["listed_name"] in text
    assert "我要举报" not in text and "代理机构名录" not in text  # no navigation, no tip button
    page.emulate_media(media="screen")
    page.goto(f"{live_server}/verify?lang=en")
    page.fill("#code", code.lower())
    page.locator("form button[type=submit]").click()
    page.wait_for_selector(".report")
    assert agencies["listed_name"] in page.locator(".report").inner_text()
    assert "flash-success" in page.locator("[role=status]").first.get_attribute("class")
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    _no_overflow(page)
    context.close()
