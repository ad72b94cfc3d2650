"""Before you hire (issue 16): the "需要注意" panel and the flag rule, the directory's name
filter and sorts, the comparison, the shortlist check with its downloads, and printed
reports with their verification."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from portal.check.models import IssuedReport
from portal.extensions import db
from portal.register import assessment, services
from portal.register.models import Agency
from tests.factories.register import (
    days_ago,
    make_agency,
    make_grade,
    make_list_entry,
    make_penalty,
    make_spot_check,
)
from tests.factories.staff import login, make_staff
from tests.helpers import expect_status, html, page


@pytest.fixture
def shortlist(app):
    """Agencies of every flag, a renamed one and two whose names differ only by legal form."""
    with app.test_request_context():
        listed = make_agency(name="太原红旗知识产权代理有限公司", established_on="2010-05-01")
        make_list_entry(listed, included_on=days_ago(30))
        make_grade(listed, grade="A", period="2024")
        fined = make_agency(name="太原罚款专利代理有限公司", established_on="2018-01-01")
        make_penalty(fined, decided_on=days_ago(50), published_on=days_ago(45))
        suspended = make_agency(name="太原停业专利代理有限公司", status="suspended")
        ended = make_agency(name="太原注销专利代理有限公司", status="deregistered")
        graded = make_agency(name="太原丙等知识产权代理有限公司", established_on="2020-01-01")
        make_grade(graded, grade="D", period="2024")
        delisted = make_agency(name="太原移出专利代理有限公司")
        entry = make_list_entry(delisted, included_on=days_ago(300))
        services.remove_list_entry(entry, reason="已补报年度报告", removed_on=days_ago(100),
                                   authority=None)
        clean = make_agency(name="太原清白知识产权代理有限公司", agent_count=12,
                            established_on="2005-03-01")
        make_grade(clean, grade="A+", period="2024")
        make_spot_check(clean)
        renamed = make_agency(name="太原更名后知识产权代理有限公司",
                              former_names="太原新名知识产权代理有限公司")
        twin_a = make_agency(name="太原双生专利代理事务所（普通合伙）")
        twin_b = make_agency(name="太原双生专利代理事务所有限公司")
        db.session.commit()
        return {k: v.uscc for k, v in {
            "listed": listed, "fined": fined, "suspended": suspended, "ended": ended,
            "graded": graded, "delisted": delisted, "clean": clean, "renamed": renamed,
            "twin_a": twin_a, "twin_b": twin_b}.items()}


def _agency(uscc):
    return db.session.scalar(db.select(Agency).where(Agency.uscc == uscc))


# -- the rule ---------------------------------------------------------------------------

def test_flags_follow_the_rule(app, shortlist):
    with app.test_request_context():
        facts = {f["uscc"]: f for f in assessment.agency_facts(
            [_agency(u) for u in shortlist.values()])}
    flag = {k: facts[u]["flag"] for k, u in shortlist.items()}
    assert flag["listed"] == flag["fined"] == flag["suspended"] == flag["ended"] == "red"
    assert flag["graded"] == flag["delisted"] == "amber"
    assert flag["clean"] == flag["renamed"] == "green"
    codes = {k: [s["code"] for s in facts[u]["signals"]] for k, u in shortlist.items()}
    assert codes["listed"] == ["listed"] and codes["fined"] == ["penalty"]
    assert codes["suspended"] == ["suspended"] and codes["ended"] == ["ended"]
    assert codes["graded"] == ["grade"] and codes["delisted"] == ["delisted"]
    clean = facts[shortlist["clean"]]
    assert clean["agents"] == 12 and clean["years"] >= 20 and clean["spot_checks"] == 1
    assert clean["grade"]["grade"] == "A+" and "太原" in clean["region"]


def test_a_penalty_out_of_its_window_and_an_old_removal_are_not_signals(app):
    with app.test_request_context():
        a = make_agency()
        make_penalty(a, decided_on=days_ago(2000), published_on=days_ago(1990),
                     penalty_kinds="警告", fine_amount=None)  # publication window over
        entry = make_list_entry(a, included_on=days_ago(900))
        services.remove_list_entry(entry, reason="已补报年度报告", removed_on=days_ago(500),
                                   authority=None)
        db.session.commit()
        assert assessment.agency_facts([a])[0]["flag"] == "green"


# -- the profile ------------------------------------------------------------------------

def test_profile_panel_is_above_the_grade_with_dates_and_links(client, shortlist):
    doc = page(client, f"/agencies/{shortlist['listed']}")
    panel = doc.select_one("section.attention")
    assert panel is not None and "attention-red" in panel["class"]
    grade = doc.select_one("section.grade-box")
    assert doc.find_all("section").index(panel) < doc.find_all("section").index(grade)
    item = panel.select_one("li.signal-red")
    assert "经营异常名录" in item.get_text() and days_ago(30).isoformat() in item.get_text()
    assert item.select_one("a")["href"].startswith("/list-entries/")
    text = grade.get_text()
    assert "A" in text and "本平台不计算等级" in text and "2024" in text
    assert "山西省市场监督管理局" in text  # who gave it
    assert [dt.get_text() for dt in grade.select(".grade-scale dt")] == ["A+", "A", "B", "C", "D"]
    # the tip button is not printed
    tip = doc.find("a", href=lambda h: h and h.startswith("/tips/new?agency="))
    assert "no-print" in tip.parent["class"]


def test_profile_of_a_clean_agency_says_nothing_was_found(client, shortlist):
    doc = page(client, f"/agencies/{shortlist['clean']}")
    assert "attention-green" in doc.select_one("section.attention")["class"]
    en = page(client, f"/agencies/{shortlist['suspended']}?lang=en")
    assert en.select_one("section.attention li.signal-red") is not None


def test_administrator_edits_the_wording(app, client, shortlist):
    with app.test_request_context():
        make_staff("140000", "admin", email="admin@example.org")
        make_staff("140100", "lead", email="lead@example.org")
        db.session.commit()
    lead = app.test_client()
    login(lead, "lead@example.org")
    assert lead.get("/staff/admin/texts").status_code == 403
    login(client, "admin@example.org")
    page(client, "/staff/admin/texts")
    expect_status(client.post("/staff/admin/texts", data={
        "attention_intro:zh_CN": "管理员写的说明", "grade_C:en": "Admin wording for C"}), 302,
        "save texts")
    assert "管理员写的说明" in page(client, f"/agencies/{shortlist['listed']}").get_text()
    en = page(client, f"/agencies/{shortlist['graded']}?lang=en").get_text()
    assert "Admin wording for C" in en
    expect_status(client.post("/staff/admin/texts", data={"attention_intro:zh_CN": ""}), 302,
                  "clear")
    assert "管理员写的说明" not in page(client, f"/agencies/{shortlist['listed']}?lang=zh_CN").get_text()


# -- the directory --------------------------------------------------------------------

def test_directory_filters_by_name_and_former_name_and_sorts(client, shortlist):
    names = [a.get_text() for a in page(client, "/agencies/?q=新名").select("#results td a")]
    assert names == ["太原更名后知识产权代理有限公司"]  # found by its former name
    doc = page(client, "/agencies/?sort=grade")
    first = [a.get_text() for a in doc.select("#results tbody td a")][:2]
    assert first == ["太原清白知识产权代理有限公司", "太原红旗知识产权代理有限公司"]  # A+, A
    doc = page(client, "/agencies/?sort=penalties")
    assert doc.select("#results tbody td a")[0].get_text() == "太原罚款专利代理有限公司"
    doc = page(client, "/agencies/?sort=years")
    assert doc.select("#results tbody td a")[0].get_text() == "太原清白知识产权代理有限公司"


def test_header_reaches_all_four_record_lists(client):
    hrefs = {a["href"] for a in page(client, "/").select("header nav a")}
    assert {"/spot-checks/", "/penalties/", "/credit-grades/", "/list-entries/",
            "/agencies/", "/check"} <= hrefs


# -- compare --------------------------------------------------------------------------

def test_compare_shows_up_to_four_side_by_side(client, shortlist):
    codes = [shortlist[k] for k in ("listed", "clean", "graded", "fined", "ended")]
    doc = page(client, "/compare", query_string=[("a", c) for c in codes])
    heads = [th.get_text() for th in doc.select("table.compare thead th")][1:]
    assert len(heads) == 4 and "太原红旗知识产权代理有限公司" in heads[0]
    assert doc.select_one("[role=status]") is not None  # only the first four
    rows = {tr.th.get_text(): [td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in doc.select("table.compare tbody tr")}
    assert rows["标志"] == ["红色", "绿色", "黄色", "红色"]
    assert rows["执业代理师人数"][1] == "12"
    # remove one: the basket is in the URL
    remove = doc.select("table.compare thead a[href^='/compare']")[0]["href"]
    assert shortlist["listed"] not in remove and shortlist["clean"] in remove


def test_compare_adds_by_name_and_asks_when_ambiguous(client, shortlist):
    resp = client.get("/compare", query_string={"a": shortlist["clean"], "add": "太原红旗知识产权代理有限公司"})
    assert resp.status_code == 302
    assert shortlist["listed"] in resp.headers["Location"]
    doc = page(client, "/compare", query_string={"add": "太原双生专利代理事务所"})
    links = doc.select("#add-result a")
    assert len(links) == 2 and all("/compare?a=" in a["href"] for a in links)


# -- the shortlist check --------------------------------------------------------------

def _lines(shortlist) -> str:
    return "\n".join([
        shortlist["listed"],  # USCC
        "太原罚款专利代理有限公司",  # name
        " 太原清白知识产权代理（有限公司） ",  # normalized name
        "太原双生专利代理事务所",  # ambiguous
        "太原完全不存在的机构",  # unknown
        "=HYPERLINK(\"http://x\")",  # a formula: neutralized in the downloads
        shortlist["listed"],  # the same agency again
        "太原新名知识产权代理有限公司",  # a former name
    ])


def test_check_matches_each_line(client, shortlist):
    doc = page(client, "/check")
    assert doc.select_one("textarea#lines") is not None
    resp = client.post("/check", data={"lines": _lines(shortlist), "action": "check"})
    doc = html(expect_status(resp, 200, "check"))
    rows = doc.select("table.check-table tbody tr")
    assert len(rows) == 8
    assert "line-matched" in rows[0]["class"] and "红色" in rows[0].get_text()
    assert "太原罚款专利代理有限公司" in rows[1].get_text()
    assert "太原清白知识产权代理有限公司" in rows[2].get_text() and "绿色" in rows[2].get_text()
    assert "line-ambiguous" in rows[3]["class"]
    assert len(rows[3].select("input[type=radio][name=pick-4]")) == 2
    assert "line-unmatched" in rows[4]["class"]
    assert "与第 1 行是同一机构" in rows[6].get_text()
    assert "太原更名后知识产权代理有限公司" in rows[7].get_text() and "曾用名一致" in rows[7].get_text()


def test_check_pick_and_download_xlsx_and_csv(client, shortlist):
    data = {"lines": _lines(shortlist), "pick-4": shortlist["twin_b"], "action": "xlsx"}
    resp = expect_status(client.post("/check", data=data), 200, "xlsx")
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("行号", "输入内容", "匹配结果") and len(rows) == 9
    flags = {r[0]: r[7] for r in rows[1:]}
    assert flags[1] == "红色" and flags[3] == "绿色" and flags[5] is None
    assert rows[4][3] == "太原双生专利代理事务所有限公司" and rows[4][9] == "由您选择"
    assert rows[6][1].startswith("'=")  # neutralized formula
    resp = expect_status(client.post("/check", data={**data, "action": "csv"}), 200, "csv")
    table = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert len(table) == 9 and table[1][7] == "红色" and table[6][1].startswith("'=")


def test_check_reads_a_tender_xlsx_by_its_columns_and_csv(client, shortlist):
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "投标人名称", "统一社会信用代码"])
    ws.append([1, "太原罚款专利代理有限公司", ""])
    ws.append([2, "随便写的名称", shortlist["clean"]])
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post("/check", data={"file": (io.BytesIO(buf.getvalue()), "tender.xlsx"),
                                       "lines": "", "action": "check"},
                       content_type="multipart/form-data")
    doc = html(expect_status(resp, 200, "xlsx upload"))
    assert len(doc.select("table.check-table tbody tr.line-matched")) == 2
    assert doc.select_one("textarea#lines").get_text().splitlines() == [
        "太原罚款专利代理有限公司", shortlist["clean"]]  # kept for picking, not stored
    gbk = "名称\n太原红旗知识产权代理有限公司\n".encode("gb18030")
    resp = client.post("/check", data={"file": (io.BytesIO(gbk), "list.csv"), "action": "check"},
                       content_type="multipart/form-data")
    assert "红色" in resp.get_data(as_text=True)


def test_check_refuses_what_is_not_a_table_and_large_files(app, client):
    resp = client.post("/check", data={"file": (io.BytesIO(b"\x00\x01binary" * 10), "x.csv"),
                                       "action": "check"}, content_type="multipart/form-data")
    assert resp.status_code == 422
    app.config["CHECK_MAX_UPLOAD_BYTES"] = 100
    resp = client.post("/check", data={"file": (io.BytesIO(b"a\n" * 200), "x.csv"),
                                       "action": "check"}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "文件太大" in resp.get_data(as_text=True)
    assert client.post("/check", data={"lines": "  \n "}).status_code == 422
    too_many = "\n".join(f"机构{i}" for i in range(501))
    assert client.post("/check", data={"lines": too_many}).status_code == 422


def test_check_stores_nothing_but_the_report_it_is_asked_for(app, client, shortlist):
    client.post("/check", data={"lines": _lines(shortlist), "action": "check"})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(IssuedReport)) == 0
    resp = client.post("/check", data={"lines": _lines(shortlist), "action": "report"})
    assert resp.status_code == 302
    with app.app_context():
        report = db.session.scalar(db.select(IssuedReport))
        stored = str(report.snapshot)
    assert "太原完全不存在的机构" not in stored and "HYPERLINK" not in stored
    assert report.kind == "check" and report.snapshot["unmatched"] == [4, 5, 6]


# -- reports and verification -----------------------------------------------------------

def test_profile_report_pdf_and_verification(app, client, shortlist):
    resp = client.post("/report", data={"kind": "profile", "uscc": shortlist["listed"]})
    location = expect_status(resp, 302, "issue").headers["Location"]
    doc = page(client, location)
    code = doc.select_one(".report-code").get_text()
    assert len(code) == 14 and doc.select_one(".report-qr svg") is not None
    assert "太原红旗知识产权代理有限公司" in doc.get_text()
    pdf = expect_status(client.get(location + ".pdf"), 200, "pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert code in text and "太原红旗知识产权代理有限公司" in text and "经营异常名录" in text
    assert "举报" not in text  # the tip button and the navigation are not printed
    verified = page(client, "/verify", query_string={"code": code.lower().replace("-", " ")})
    assert "flash-success" in verified.select_one("[role=status]")["class"]
    assert "太原红旗知识产权代理有限公司" in verified.get_text()
    with app.app_context():
        report = db.session.scalar(db.select(IssuedReport))
        assert report.content_sha256 in verified.get_text()
        assert set(report.snapshot) == {"agencies"}  # facts only: no person, no address
        report.snapshot = {**report.snapshot, "agencies": []}  # tampered with
        db.session.commit()
    tampered = page(client, "/verify", query_string={"code": code})
    assert "flash-error" in tampered.select_one("[role=status]")["class"]


def test_unknown_code_and_compare_report(client, shortlist):
    doc = page(client, "/verify", query_string={"code": "AAAA-BBBB-CCCC"}, status=404)
    assert doc.select_one("#verify-result") is not None
    resp = client.post("/report", data={"kind": "compare",
                                        "a": [shortlist["clean"], shortlist["graded"]]})
    doc = page(client, expect_status(resp, 302, "compare report").headers["Location"])
    assert len(doc.select("table.compare thead th")) == 3
    assert "/compare?a=" in doc.select_one(".report-meta a")["href"]
    assert client.post("/report", data={"kind": "profile", "uscc": "X"}).status_code == 404
    assert client.post("/report", data={"kind": "nope"}).status_code == 400


def test_published_grade_reasons_are_imported_and_shown(app, client):
    """A grade's published reasons (扣分事由) come in through the import and show beside the
    grade on the profile and on the record's page."""
    import io

    from portal.register.importer import apply_import, plan_import
    from portal.register.models import CreditGrade
    from tests.factories import register as rf

    with app.app_context():
        agency = rf.make_agency(name="说明测试专利代理有限公司")
        db.session.commit()
        uscc = agency.uscc
        data = ("统一社会信用代码,评价期间,信用等级,信用分,评价日期,评价机关,扣分事由\n"
                f"{uscc},2025,C,68.5,2026-03-01,山西省市场监督管理局,未按时报送年度报告，扣 5 分。\n")
        plan = plan_import("credit_grade", io.BytesIO(data.encode("utf-8")), "grades.csv")
        assert plan.ok, plan.errors
        apply_import(plan)
        db.session.commit()
        grade_id = db.session.scalar(db.select(CreditGrade.id))
    profile = client.get(f"/agencies/{uscc}").get_data(as_text=True)
    assert "公布的评价说明" in profile and "未按时报送年度报告，扣 5 分。" in profile
    record = client.get(f"/credit-grades/{grade_id}").get_data(as_text=True)
    assert "评价说明" in record and "未按时报送年度报告，扣 5 分。" in record


def test_a_shared_profile_issues_reports_through_a_confirmation_page(app, client, shortlist):
    """A visitor without a session gets the cached profile (no CSRF token in it): its report
    button leads to a page that asks to issue the report, whose form carries the token."""
    app.config["WTF_CSRF_ENABLED"] = True
    profile = client.get(f"/agencies/{shortlist['listed']}")
    assert "public" in profile.headers["Cache-Control"]
    html = profile.get_data(as_text=True)
    assert 'name="csrf_token"' not in html and 'action="/report/new"' in html
    confirm = client.get(f"/report/new?kind=profile&uscc={shortlist['listed']}")
    assert confirm.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm.get_data(as_text=True))
    issued = client.post("/report", data={"kind": "profile", "uscc": shortlist["listed"],
                                          "csrf_token": token.group(1)})
    assert issued.status_code == 302 and "/report/" in issued.headers["Location"]
    assert client.get("/report/new?kind=profile&uscc=X").status_code == 404
    assert client.get("/report/new?kind=nope").status_code == 400
