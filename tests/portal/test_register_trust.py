"""Issue 11: register data you can trust (divisions, decision numbers, the importer,
the history).  Each of the seven reported defects has a test here (marked "defect N")."""

import io

import pytest

from portal.extensions import db
from portal.register import divisions, queries, services
from portal.register.cleaning import decision_key
from portal.register.importer import apply_import, plan_import
from portal.register.models import Agency, Division, Penalty, RegisterEvent
from portal.register.reference import update_divisions
from tests.factories.register import bureau, days_ago, make_agency, make_penalty, make_uscc

AGENCY_HEADER = "统一社会信用代码,机构名称,机构类型,行政区划代码\n"
PENALTY_HEADER = ("行政处罚决定书文号,当事人名称,统一社会信用代码,违法行为类型,违法事实,处罚依据,"
                  "处罚类别,罚款金额（元）,处罚决定日期,处罚机关")


def _penalty_row(number, party, uscc="", decided="2026-01-05"):
    return (f"{number},{party},{uscc},虚假宣传,经查，当事人虚假宣传。,《反不正当竞争法》第二十条,"
            f"警告、罚款,50000,{decided},太原市市场监督管理局")


def _file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8-sig"))


def _import(kind, text, **kw):
    plan = plan_import(kind, _file(text), "x.csv", **kw)
    assert plan.ok, [str(e) for e in plan.errors]
    apply_import(plan, **{k: v for k, v in kw.items() if k == "bureau"})
    db.session.commit()
    return plan


# -- defect 1: the division table is current, retired codes map to their successor ---------

def test_defect1_current_datong_changzhi_jinzhong_districts_import(app_ctx):
    codes = {"140213": "平城区", "140214": "云冈区", "140215": "云州区", "140403": "潞州区",
             "140404": "上党区", "140405": "屯留区", "140406": "潞城区", "140703": "太谷区"}
    rows = "".join(f"{make_uscc(c)},大同{n}专利代理有限公司,专利代理,{c}\n" for c, n in codes.items())
    plan = _import("agency", AGENCY_HEADER + rows)
    assert len(plan.creates) == len(codes) and not plan.warnings
    agency = db.session.scalar(db.select(Agency).where(Agency.division_code == "140213"))
    assert divisions.path_name("140213") == "山西省大同市平城区"
    assert agency.bureau.code == "140200"


def test_retired_code_is_accepted_mapped_and_warned(app_ctx):
    uscc = make_uscc("140203")
    plan = plan_import("agency", _file(AGENCY_HEADER + f"{uscc},大同矿区专利代理有限公司,专利代理,"
                                                       "140203\n"), "x.csv")
    assert plan.ok and plan.creates[0].values["division_code"] == "140214"
    assert len(plan.warnings) == 1 and "140203" in str(plan.warnings[0])
    assert "140214" in str(plan.warnings[0]) and plan.warnings[0].row == 2
    assert divisions.successor_of("140203") == "140214"
    assert divisions.successor_of("140211") == "140213"
    assert divisions.path_name("140203") == "山西省大同市矿区"  # old records still resolve
    assert "140203" not in {code for code, _n, _d in divisions.served_regions()}


def test_reference_divisions_command_reports_added_renamed_retired(app, tmp_path):
    table = tmp_path / "2027.csv"
    rows = ["2027年中华人民共和国县以上行政区划代码", "行政区划代码,单位名称"]
    with app.app_context():
        for d in db.session.scalars(db.select(Division).where(Division.retired.is_(False))):
            if d.code == "140212":
                continue  # 新荣区 retired (merged into 平城区 in this made-up table)
            rows.append(f"{d.code},{'大同新区' if d.code == '140215' else d.name}")
    rows.append("140216,新设区")
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    changes = tmp_path / "changes.csv"
    changes.write_text("code,name,successor_code,note\n140212,新荣区,140213,test\n",
                       encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reference", "divisions", str(table), "--changes", str(changes)])
    assert result.exit_code == 0, result.output
    assert "新增 1，更名 1，撤销 1" in result.output
    assert "新增  140216 新设区" in result.output
    assert "更名  140215 云州区 → 大同新区" in result.output
    assert "撤销  140212 新荣区 → 140213" in result.output
    with app.app_context():
        assert divisions.successor_of("140212") == "140213"
        assert db.session.get(Division, "140216").parent_code == "140200"
        again = update_divisions(table, changes, apply=False)
        assert not again.added and not again.renamed and not again.retired


def test_demo_uses_current_codes_only(app_ctx):
    from portal.register.demo import build_demo

    build_demo(agencies=60, seed=7)
    used = set(db.session.scalars(db.select(Agency.division_code).distinct()))
    retired = set(db.session.scalars(db.select(Division.code).where(Division.retired.is_(True))))
    assert used and not used & retired


# -- defect 2: one decision number, whatever its spelling -------------------------------

@pytest.mark.parametrize("spelling", [
    "晋知罚字〔2026〕9002号", "晋知罚字[2026]9002号", "晋知罚字（2026）9002号", "晋知罚字(2026)9002号",
    "晋知罚字【2026】9002号", "晋知罚字 〔2026〕 9002号", "晋知罚字［２０２６］９００２号",
    "晋知罚字〔2026〕第9002号"])
def test_decision_key_spellings(spelling):
    assert decision_key(spelling) == "晋知罚字〔2026〕9002号"


def test_defect2_spellings_of_one_number_are_one_penalty(app_ctx):
    agency = make_agency()
    rows = [_penalty_row(n, agency.name, agency.uscc) for n in (
        "晋知罚字〔2026〕9002号", "晋知罚字[2026]9002号", "晋知罚字（2026）9002号",
        "晋知罚字 〔2026〕9002号")]
    plan = plan_import("penalty", _file(PENALTY_HEADER + "\n" + "\n".join(rows) + "\n"), "x.csv")
    assert not plan.ok and [e.row for e in plan.errors] == [3, 4, 5]
    _import("penalty", PENALTY_HEADER + "\n" + rows[0] + "\n")
    again = plan_import("penalty", _file(PENALTY_HEADER + "\n" + rows[1] + "\n"), "x.csv")
    assert again.ok and not again.creates  # the same penalty, spelled otherwise
    with pytest.raises(services.ValidationError):  # the staff form too
        make_penalty(agency, decision_number="晋知罚字（2026）第9002号")
    assert db.session.scalar(db.select(db.func.count()).select_from(Penalty)) == 1


def test_page_shows_number_as_published_and_other_spellings_redirect(client, app):
    with app.app_context():
        make_penalty(decision_number="晋知罚字[2026]9002号")
        db.session.commit()
    resp = client.get("/penalties/晋知罚字（2026）9002号")
    assert resp.status_code == 301
    assert resp.headers["Location"].endswith("/penalties/%E6%99%8B%E7%9F%A5%E7%BD%9A%E5%AD%97"
                                             "%E3%80%942026%E3%80%959002%E5%8F%B7")
    page = client.get(resp.headers["Location"])
    assert page.status_code == 200 and "晋知罚字[2026]9002号" in page.get_data(as_text=True)


# -- defect 3: the party name is checked against the USCC's agency -----------------------

def test_defect3_penalty_party_name_must_match_the_uscc(app_ctx):
    one, other = make_agency(), make_agency()
    text = PENALTY_HEADER + "\n" + _penalty_row("并市监罚〔2026〕1号", other.name, one.uscc) + "\n"
    plan = plan_import("penalty", _file(text), "x.csv")
    assert not plan.ok
    assert [(e.row, e.column) for e in plan.errors] == [(2, "当事人名称")]
    assert one.name in plan.errors[0].message


def test_former_name_is_accepted(app_ctx):
    agency = make_agency(name="太原旧名专利代理有限公司")
    services.upsert_agency({"uscc": agency.uscc, "name": "太原新名专利代理有限公司",
                            "kind": "patent", "division_code": "140105"})
    text = PENALTY_HEADER + "\n" + _penalty_row("并市监罚〔2026〕2号", "太原旧名专利代理有限公司",
                                                agency.uscc) + "\n"
    assert plan_import("penalty", _file(text), "x.csv").ok


# -- defect 4: unregistered parties always get a responsible bureau ----------------------

def test_defect4_unregistered_party_gets_the_bureau_of_its_uscc_division(app_ctx):
    party_uscc = make_uscc("140105")  # registered in 小店区, not in the register
    _import("penalty", PENALTY_HEADER + "\n" + _penalty_row("并市监罚〔2026〕3号", "无照咨询部",
                                                              party_uscc) + "\n")
    penalty = db.session.scalar(db.select(Penalty))
    assert penalty.agency is None and penalty.bureau.code == "140105"


def test_unregistered_party_without_any_bureau_is_refused(app_ctx):
    text = PENALTY_HEADER + "\n" + _penalty_row("并市监罚〔2026〕4号", "无照咨询部") + "\n"
    plan = plan_import("penalty", _file(text), "x.csv")
    assert not plan.ok and "--bureau" in plan.errors[0].message
    assert plan_import("penalty", _file(text), "x.csv", bureau=bureau("140100")).ok


def test_reimport_with_bureau_fixes_an_orphan(app_ctx):
    penalty = make_penalty(decision_number="并市监罚〔2026〕5号", party_uscc=None)
    assert penalty.bureau is None
    text = PENALTY_HEADER + "\n" + _penalty_row("并市监罚〔2026〕5号", penalty.party_name,
                                                decided=penalty.decided_on.isoformat()) + "\n"
    _import("penalty", text, bureau=bureau("140100"))
    assert db.session.get(Penalty, penalty.id).bureau.code == "140100"


# -- defect 5: real spreadsheets -------------------------------------------------------

def test_defect5_title_row_and_serial_column_are_skipped_and_said(app_ctx):
    text = ("2026年第三季度行政处罚信息公示表,,,,,,,,,,\n,,,,,,,,,,\n"
            "序号," + PENALTY_HEADER + "\n1," + _penalty_row("并市监罚〔2026〕6号", "无照咨询部") + "\n")
    plan = plan_import("penalty", _file(text), "x.csv", bureau=bureau("140100"))
    assert plan.ok, [str(e) for e in plan.errors]
    assert len(plan.creates) == 1 and plan.creates[0].row == 4
    assert any("第 1 行" in n for n in plan.notes) and any("序号" in n for n in plan.notes)


def test_every_error_of_every_row_is_reported(app_ctx):
    one, other = make_agency(), make_agency()
    bad = (f"并市监罚〔2026〕7号,{other.name},{one.uscc},虚假宣传,经查。,依据,警告,,不是日期,"
           "太原市市场监督管理局")
    bad2 = "并市监罚〔2026〕8号,某公司,,不存在的类型,经查。,依据,警告,,2026-01-01,处罚机关"
    plan = plan_import("penalty", _file(PENALTY_HEADER + "\n" + bad + "\n" + bad2 + "\n"),
                       "x.csv", bureau=bureau("140100"))
    cells = {(e.row, e.column) for e in plan.errors}
    assert {(2, "当事人名称"), (2, "处罚决定日期"), (3, "违法行为类型")} <= cells


def test_file_level_errors_have_no_row_and_header_only_says_0_rows(app, tmp_path):
    runner = app.test_cli_runner()
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "empty.csv").write_text(AGENCY_HEADER, encoding="utf-8")
    bad = runner.invoke(args=["import", "agency", str(tmp_path / "bad.png")])
    empty = runner.invoke(args=["import", "agency", str(tmp_path / "empty.csv")])
    assert bad.exit_code == 1 and "第 0 行" not in bad.output and "[]" not in bad.output
    assert "文件：文件不是 CSV 或 XLSX 表格" in bad.output
    assert empty.exit_code == 1 and "0 行" in empty.output and "导入完成" not in empty.output


# -- defects 6 and 7: the withdrawal reason is public; the file can carry the status ----

def test_defect6_withdrawal_reason_is_on_the_public_url(client, app):
    with app.app_context():
        penalty = make_penalty(decision_number="并市监罚〔2026〕9号")
        services.withdraw_record(penalty, "复议决定撤销原处罚决定")
        db.session.commit()
    page = client.get("/penalties/并市监罚〔2026〕9号")
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "复议决定撤销原处罚决定" in text and "撤回原因" in text


def test_defect7_status_columns_withdraw_and_repair(app_ctx):
    old = make_penalty(decision_number="并市监罚〔2025〕10号", published_on=days_ago(400),
                       decided_on=days_ago(410))
    header = PENALTY_HEADER + ",公示状态,撤回或信用修复原因,撤回或信用修复日期\n"
    row = _penalty_row("并市监罚〔2025〕10号", old.party_name, decided=old.decided_on.isoformat())
    new = _penalty_row("并市监罚〔2026〕11号", "无照咨询部")
    text = header + row + ",已信用修复,已履行处罚义务,\n" + new + ",已撤回,原决定被撤销,2026-02-01\n"
    plan = _import("penalty", text, bureau=bureau("140100"))
    assert len(plan.creates) == 1 and len(plan.updates) == 1
    repaired = db.session.get(Penalty, old.id)
    withdrawn = db.session.scalar(db.select(Penalty).where(
        Penalty.decision_key == "并市监罚〔2026〕11号"))
    assert repaired.status == "repaired" and repaired.status_reason == "已履行处罚义务"
    assert withdrawn.status == "withdrawn" and withdrawn.status_changed_at.date().isoformat() \
        == "2026-02-01"
    again = plan_import("penalty", _file(text), "x.csv", bureau=bureau("140100"))
    assert again.ok and len(again.unchanged) == 2
    back = header + row + ",公示中,,\n"
    refused = plan_import("penalty", _file(back), "x.csv", bureau=bureau("140100"))
    assert not refused.ok and refused.errors[0].column == "公示状态"
    missing = plan_import("penalty", _file(header + new + ",已撤回,,\n"), "x.csv",
                          bureau=bureau("140100"))
    assert not missing.ok and missing.errors[0].column == "撤回或信用修复原因"


# -- history ---------------------------------------------------------------------------

def test_history_of_a_record_through_form_import_and_withdrawal(client, app):
    with app.app_context():
        penalty = make_penalty(decision_number="并市监罚〔2026〕12号", party_uscc=None)
        services.update_record(penalty, {"facts": "经查，当事人虚假宣传，情节较轻。"})
        text = (PENALTY_HEADER + "\n" + _penalty_row(
            "并市监罚〔2026〕12号", penalty.party_name, decided=penalty.decided_on.isoformat())
            + "\n").replace("警告、罚款,50000", "警告,")
        plan = plan_import("penalty", _file(text), "q3.csv", bureau=bureau("140100"))
        apply_import(plan)
        db.session.commit()
        events = queries.history("penalty", penalty.id)
        assert [e.action for e in events] == ["created", "edited", "edited"]
        assert events[1].changes["facts"][1] == "经查，当事人虚假宣传，情节较轻。"
        assert events[2].via == "import" and events[2].source == "q3.csv"
        assert events[2].changes["penalty_kinds"] == ["警告、罚款", "警告"]
        services.withdraw_record(penalty, "决定书送达有误")
        db.session.commit()
        event = queries.history("penalty", penalty.id)[-1]
        assert (event.action, event.reason) == ("withdrawn", "决定书送达有误")
        event.reason = "改写"
        with pytest.raises(RuntimeError):  # append-only
            db.session.flush()
        db.session.rollback()
    text = client.get("/penalties/并市监罚〔2026〕12号").get_data(as_text=True)
    assert "公示记录" in text and "更正" in text and "决定书送达有误" in text


def test_agency_changes_are_on_its_profile(client, app):
    with app.app_context():
        agency = make_agency(name="太原甲专利代理有限公司", legal_rep="张三")
        services.upsert_agency({"uscc": agency.uscc, "name": "太原乙专利代理有限公司",
                                "kind": "patent", "division_code": "140105",
                                "legal_rep": "李四", "status": "suspended"})
        db.session.commit()
        actions = [e.action for e in queries.history("agency", agency.id)]
        assert actions == ["registered", "changed"]
        uscc = agency.uscc
    text = client.get(f"/agencies/{uscc}").get_data(as_text=True)
    assert "变更记录" in text
    for value in ("太原甲专利代理有限公司", "太原乙专利代理有限公司", "张三", "李四"):
        assert value in text


def test_staff_see_the_history(client, app):
    from tests.factories.staff import login, make_staff

    with app.app_context():
        penalty = make_penalty(make_agency(), decision_number="并市监罚〔2026〕13号")
        services.withdraw_record(penalty, "重复公示")
        user = make_staff("140000", "admin")
        db.session.commit()
        pid, email = penalty.id, user.email
    login(client, email)
    text = client.get(f"/staff/records/penalty/{pid}").get_data(as_text=True)
    assert "变更历史" in text and "重复公示" in text


def test_events_are_rows(app_ctx):
    make_agency()
    assert db.session.scalar(db.select(db.func.count()).select_from(RegisterEvent)) == 1


def test_migration_merges_existing_duplicates(app, capsys):
    import sqlalchemy as sa
    from flask_migrate import upgrade

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="5ec0a1d2b3c4")
        cols = ("decision_number, party_name, violation_type, facts, legal_basis, penalty_kinds, "
                "decided_on, authority, published_on, status, created_at, updated_at, is_demo")
        with db.engine.begin() as conn:
            for number in ("晋知罚字〔2026〕9002号", "晋知罚字[2026]9002号", "晋知罚字（2026）9002号",
                           "晋知罚字〔2026〕9003号"):
                conn.execute(sa.text(
                    f"INSERT INTO penalty ({cols}) VALUES (:n, '某公司', '虚假宣传', '事实', '依据', "
                    "'警告', '2026-01-05', '机关', '2026-01-06', 'published', "
                    "'2026-01-06 00:00:00', '2026-01-06 00:00:00', false)"), {"n": number})
        upgrade(revision="a7c3e9d1f042")
        with db.engine.connect() as conn:
            keys = conn.execute(sa.text("SELECT id, decision_key FROM penalty ORDER BY id")).all()
            merged = conn.execute(sa.text(
                "SELECT subject_id, action FROM register_event")).all()
    assert keys == [(1, "晋知罚字〔2026〕9002号"), (4, "晋知罚字〔2026〕9003号")]
    assert merged == [(1, "merged"), (1, "merged")]
    assert "2 duplicates merged" in capsys.readouterr().out


def test_migration_gives_existing_orphan_penalties_a_bureau(app, capsys):
    """Defect 4 for data already in the database: a penalty of an unregistered party that an
    older version imported without --bureau belonged to no bureau, so nobody could correct it."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="5ec0a1d2b3c4")
        cols = ("decision_number, party_name, party_uscc, violation_type, facts, legal_basis, "
                "penalty_kinds, decided_on, authority, published_on, status, created_at, "
                "updated_at, is_demo")
        with db.engine.begin() as conn:
            for code, level in (("140000", "province"), ("140100", "city")):
                conn.execute(sa.text(
                    "INSERT INTO bureau (code, name, level, active) "
                    "VALUES (:c, :c, :l, true)"), {"c": code, "l": level})
            for number, uscc in (("晋知罚字〔2026〕1号", "91140105MA0K00010X"),
                                 ("晋知罚字〔2026〕2号", "91440300MA5D00010X"),
                                 ("晋知罚字〔2026〕3号", None)):
                conn.execute(sa.text(
                    f"INSERT INTO penalty ({cols}) VALUES (:n, '某公司', :u, '虚假宣传', '事实', "
                    "'依据', '警告', '2026-01-05', '机关', '2026-01-06', 'published', "
                    "'2026-01-06 00:00:00', '2026-01-06 00:00:00', false)"), {"n": number, "u": uscc})
        upgrade(revision="a7c3e9d1f042")
        with db.engine.connect() as conn:
            owners = conn.execute(sa.text(
                "SELECT p.decision_number, b.code FROM penalty p "
                "LEFT JOIN bureau b ON b.id = p.bureau_id ORDER BY p.id")).all()
    assert owners == [("晋知罚字〔2026〕1号", "140100"), ("晋知罚字〔2026〕2号", None),
                      ("晋知罚字〔2026〕3号", None)]
    assert "1 given one, 2 left" in capsys.readouterr().out
