import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from portal.extensions import db
from portal.register.importer import apply_import, plan_import, read_table
from portal.register.models import Agency, CreditGrade, ListEntry, Penalty, SpotCheck
from portal.register.services import ValidationError
from tests.factories.register import make_agency, make_uscc

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "import-examples"
AGENCY_HEADER = "统一社会信用代码,机构名称,执业许可证号,机构类型,行政区划代码,成立日期\n"


def _count(model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _csv(text: str, encoding="utf-8-sig") -> bytes:
    return text.encode(encoding)


@pytest.mark.parametrize("kind", ["agency", "spot_check", "penalty", "credit_grade", "list_entry"])
def test_examples_import_in_order_and_are_idempotent(app_ctx, kind):
    order = ["agency", "spot_check", "penalty", "credit_grade", "list_entry"]
    for k in order[: order.index(kind) + 1]:
        plan = plan_import(k, EXAMPLES / f"{k}.csv")
        assert plan.ok, [str(e) for e in plan.errors]
        apply_import(plan)
        db.session.commit()
    again = plan_import(kind, EXAMPLES / f"{kind}.csv")
    assert again.ok and not again.creates and not again.updates
    assert len(again.unchanged) == again.rows > 0


def test_example_xlsx_imports(app_ctx):
    plan = plan_import("agency", EXAMPLES / "agency.xlsx")
    assert plan.ok, plan.errors
    assert len(plan.creates) == 2
    apply_import(plan)
    db.session.commit()
    a = db.session.scalar(db.select(Agency).where(Agency.name == "太原示例二号专利代理有限公司"))
    assert a.established_on.isoformat() == "2016-04-12" and a.agent_count == 8
    assert a.bureau.code == "140107"


def test_gb18030_and_utf8_without_bom_and_date_formats(app_ctx):
    u1, u2, u3 = make_uscc("140105"), make_uscc("310115"), make_uscc("410702")
    text = (AGENCY_HEADER
            + f"{u1},太原编码甲专利代理有限公司,14801,专利代理,140105,2020年1月2日\n"
            + f"{u2},上海编码乙商标代理有限公司,,商标代理,310115,2020/1/2\n"
            + f"{u3},新乡编码丙知识产权代理有限公司,41801,专利和商标代理,410702,2020-01-02\n")
    for encoding in ("gb18030", "utf-8"):
        plan = plan_import("agency", io.BytesIO(text.encode(encoding)), "x.csv")
        assert plan.ok, plan.errors
        assert [p.values["established_on"].isoformat() for p in plan.creates] == ["2020-01-02"] * 3
        assert plan.creates[0].values["name"] == "太原编码甲专利代理有限公司"
        assert plan.creates[2].values["kind"] == "both"


def test_english_aliases(app_ctx):
    u = make_uscc("140105")
    text = f"USCC,Name,Kind,Division_Code\n{u},太原别名专利代理有限公司,patent,140105\n"
    plan = plan_import("agency", io.BytesIO(_csv(text)), "a.csv")
    assert plan.ok, plan.errors
    assert plan.creates[0].values["kind"] == "patent"


def test_one_bad_row_writes_nothing_and_names_row_and_column(app_ctx):
    good, bad_check = make_uscc("140105"), make_uscc("140105")
    bad_check = bad_check[:-1] + ("0" if bad_check[-1] != "0" else "1")
    text = (AGENCY_HEADER
            + f"{good},太原好专利代理有限公司,14701,专利代理,140105,2020-01-01\n"
            + f"{bad_check},太原坏专利代理有限公司,14702,专利代理,140105,2020-01-01\n"
            + f"{make_uscc()},太原坏二专利代理有限公司,14703,律师事务所,140105,2020-02-30\n"
            + f"{make_uscc()},,14704,专利代理,999999,\n")
    plan = plan_import("agency", io.BytesIO(_csv(text)), "a.csv")
    assert not plan.ok
    got = {(e.row, e.column) for e in plan.errors}
    assert got == {(3, "统一社会信用代码"), (4, "机构类型"), (4, "成立日期"),
                   (5, "机构名称"), (5, "行政区划代码")}
    assert any("校验位" in e.message for e in plan.errors)
    with pytest.raises(ValidationError):
        apply_import(plan)
    assert _count(Agency) == 0


def test_duplicates_inside_file(app_ctx):
    u = make_uscc()
    text = (AGENCY_HEADER + f"{u},太原重复专利代理有限公司,14601,专利代理,140105,\n"
            + f"{u.lower()},太原重复专利代理有限公司,14602,专利代理,140105,\n"
            + f"{make_uscc()},太原另一专利代理有限公司,14601,专利代理,140105,\n")
    plan = plan_import("agency", io.BytesIO(_csv(text)), "a.csv")
    messages = {(e.row, e.column): e.message for e in plan.errors}
    assert messages[(3, "统一社会信用代码")] == "与第 2 行重复"
    assert "第 2 行" in messages[(4, "执业许可证号")]


def test_unknown_agency_and_name_mismatch(app_ctx):
    agency = make_agency(name="太原真实专利代理有限公司")
    db.session.commit()
    text = ("统一社会信用代码,机构名称,评价期间,信用等级,评价日期,评价机关\n"
            f"{make_uscc()},,2024,A,2025-06-30,山西省局\n"
            f"{agency.uscc},太原冒名专利代理有限公司,2024,A,2025-06-30,山西省局\n"
            f"{agency.uscc},太原真实专利代理有限公司,2024,E,2025-06-30,山西省局\n")
    plan = plan_import("credit_grade", io.BytesIO(_csv(text)), "g.csv")
    got = {(e.row, e.column): e.message for e in plan.errors}
    assert "登记簿中没有" in got[(2, "统一社会信用代码")]
    assert "不符" in got[(3, "机构名称")]
    assert "不是允许的值" in got[(4, "信用等级")]


def test_unknown_and_missing_columns(app_ctx):
    plan = plan_import("penalty", io.BytesIO(_csv("行政处罚决定书文号,当事人名称,颜色\nA,B,红\n")), "p.csv")
    cols = {e.column for e in plan.errors}
    assert "颜色" in cols and "处罚类别" in cols and "违法事实" in cols
    assert all(e.row == 1 for e in plan.errors)


def test_not_a_table(app_ctx):
    plan = plan_import("agency", io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00\x00"), "x.png")
    assert not plan.ok and plan.errors[0].row is None
    plan = plan_import("agency", io.BytesIO(b"PK\x03\x04garbage"), "x.xlsx")
    assert not plan.ok and "XLSX" in plan.errors[0].message
    plan = plan_import("agency", io.BytesIO(b""), "x.csv")
    assert not plan.ok


def test_dry_run_cli_writes_nothing(runner, app):
    src = EXAMPLES / "agency.csv"
    result = runner.invoke(args=["import", "agency", str(src), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "试运行" in result.output and "新增 4" in result.output
    with app.app_context():
        assert _count(Agency) == 0
    result = runner.invoke(args=["import", "agency", str(src)])
    assert "新增 4" in result.output
    with app.app_context():
        assert _count(Agency) == 4


def test_cli_reports_bad_rows_and_exits_nonzero(runner, app, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(AGENCY_HEADER + "123,太原,,专利代理,140105,\n", encoding="utf-8")
    result = runner.invoke(args=["import", "agency", str(bad)])
    assert result.exit_code == 1
    assert "第 2 行「统一社会信用代码」" in result.output
    assert "未写入任何数据" in result.output


def test_reimport_with_changes_updates_only_changed_columns(app_ctx, tmp_path):
    plan = plan_import("agency", EXAMPLES / "agency.csv")
    apply_import(plan)
    db.session.commit()
    changed = tmp_path / "agency.csv"
    text = (EXAMPLES / "agency.csv").read_text(encoding="utf-8-sig").replace(",12,", ",13,")
    changed.write_text(text, encoding="utf-8")
    plan = plan_import("agency", changed)
    assert plan.ok and len(plan.updates) == 1 and len(plan.unchanged) == 3
    assert plan.updates[0].changes == {"agent_count": (12, 13)}
    apply_import(plan)
    db.session.commit()
    assert db.session.scalar(db.select(Agency.agent_count).where(Agency.licence_no == "14901")) == 13


def test_xlsx_records_with_date_cells(app_ctx, tmp_path):
    for k in ("agency",):
        apply_import(plan_import(k, EXAMPLES / f"{k}.csv"))
    db.session.commit()
    agency = db.session.scalar(db.select(Agency).where(Agency.licence_no == "14901"))
    import datetime as dt

    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "名录类型", "列入原因", "列入日期", "作出决定机关（列入）", "移出原因", "移出日期"])
    ws.append([agency.uscc, "经营异常名录", "未按规定报送年度报告", dt.datetime(2025, 4, 1),
               "太原市市场监督管理局", "已补报年度报告", dt.datetime(2025, 5, 6)])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    plan = plan_import("list_entry", path)
    assert plan.ok, plan.errors
    apply_import(plan)
    db.session.commit()
    entry = db.session.scalar(db.select(ListEntry))
    assert entry.removed_on == dt.date(2025, 5, 6) and entry.removal_reason == "已补报年度报告"
    assert plan_import("list_entry", path).unchanged


def test_penalty_links_agency_or_keeps_unregistered_party(app_ctx):
    apply_import(plan_import("agency", EXAMPLES / "agency.csv"))
    plan = plan_import("penalty", EXAMPLES / "penalty.csv")
    apply_import(plan)
    db.session.commit()
    linked, unregistered = db.session.scalars(db.select(Penalty).order_by(Penalty.id)).all()
    assert linked.agency is not None and linked.suspension_months == 6
    assert unregistered.agency is None and unregistered.party_name == "太原示例信息咨询有限公司"
    assert unregistered.publication_ends_on is not None


def test_read_table_tab_separated(app_ctx):
    rows = read_table(io.BytesIO(b"a\tb\n1\t2\n"), "x.csv")
    assert rows == [["a", "b"], ["1", "2"]]


def test_counts_match_models(app_ctx):
    for k in ("agency", "spot_check", "penalty", "credit_grade", "list_entry"):
        apply_import(plan_import(k, EXAMPLES / f"{k}.csv"))
    db.session.commit()
    assert (_count(Agency), _count(SpotCheck), _count(Penalty), _count(CreditGrade),
            _count(ListEntry)) == (4, 3, 2, 3, 2)
