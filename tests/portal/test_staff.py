"""The queue, the tip page's actions, publishing round trips, dashboard figures, admin."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from bs4 import BeautifulSoup

from intake.models import CalendarDay, RoutingRule, Tip, TipEvent
from portal.auth.models import StaffUser
from portal.extensions import db
from portal.register.models import SpotCheck
from tests.factories.intake import make_tip
from tests.factories.register import bureau, make_agency
from tests.factories.staff import login, make_staff
from tests.helpers import page


@pytest.fixture
def setup(app):
    with app.test_request_context():
        for code, role, name in (("140100", "staff", "sa"), ("140100", "lead", "la"),
                                 ("140200", "staff", "sb"), ("140200", "lead", "lb"),
                                 ("140000", "admin", "admin")):
            make_staff(code, role, email=f"{name}@example.org")
        agency = make_agency(division_code="140121", agent_count=40)
        first = make_tip(agency=agency).tip.reference
        second = make_tip(agency=agency, category="无资质专利代理", with_file=False).tip.reference
        return {"first": first, "second": second, "uscc": agency.uscc}


def _client(app, who):
    client = app.test_client()
    assert login(client, f"{who}@example.org").status_code == 302
    return client


def _tip(app, ref):
    with app.app_context():
        tip = db.session.scalar(db.select(Tip).where(Tip.reference == ref))
        db.session.expunge(tip)
        return tip


# -- queue -------------------------------------------------------------------------

def test_queue_filters_counts_and_fragment(app, setup):
    sa = _client(app, "sa")
    page = sa.get("/staff/").get_data(as_text=True)
    assert setup["first"] in page and setup["second"] in page
    assert "剩 7 个工作日" in page or "剩" in page
    only = sa.get("/staff/?category=无资质专利代理").get_data(as_text=True)
    assert setup["second"] in only and setup["first"] not in only
    assert sa.post(f"/staff/tips/{setup['first']}/accept").status_code == 302
    mine = sa.get("/staff/?mine=1").get_data(as_text=True)
    assert setup["first"] in mine and setup["second"] not in mine
    received = sa.get("/staff/?status=received").get_data(as_text=True)
    assert setup["second"] in received and setup["first"] not in received
    fragment = sa.get("/staff/?status=received", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="queue"') and "<html" not in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_overdue_flag_and_filter(app, setup):
    with app.app_context():
        tip = db.session.scalar(db.select(Tip).where(Tip.reference == setup["second"]))
        tip.accept_due = dt.date(2020, 1, 6)
        db.session.commit()
    sa = _client(app, "sa")
    page = sa.get("/staff/?overdue=1").get_data(as_text=True)
    assert setup["second"] in page and setup["first"] not in page
    assert "已超期" in page


def test_admin_picks_any_bureau_of_the_province(app, setup):
    admin = _client(app, "admin")
    heading = BeautifulSoup(admin.get("/staff/").get_data(as_text=True), "html.parser").h1
    assert heading.get_text().startswith("举报队列：山西省")
    page = admin.get("/staff/?bureau=140100").get_data(as_text=True)
    assert setup["first"] in page
    assert admin.get("/staff/?bureau=310000").status_code == 403


# -- the life of a tip through the views ------------------------------------------

def test_tip_actions_transfer_and_conclusion_with_approval(app, setup):
    ref = setup["first"]
    sa, la, sb, lb = (_client(app, w) for w in ("sa", "la", "sb", "lb"))
    assert sa.post(f"/staff/tips/{ref}/accept").status_code == 302
    # A TransitionError comes back as a Chinese inline error, nothing changes.
    resp = sa.post(f"/staff/tips/{ref}/accept")
    assert resp.status_code == 422 and "不能进行此操作" in resp.get_data(as_text=True)
    resp = sa.post(f"/staff/tips/{ref}/transfer", data={"to_bureau": "", "reason": ""})
    assert resp.status_code == 422 and "理由" in resp.get_data(as_text=True)
    resp = sa.post(f"/staff/tips/{ref}/add_note", data={"text": "内部：先核对合同"})
    assert resp.status_code == 302
    with app.app_context():
        datong = bureau("140200").id
    resp = sa.post(f"/staff/tips/{ref}/transfer",
                   data={"to_bureau": datong, "reason": "机构实际经营地在大同"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff/")
    assert sa.get(f"/staff/tips/{ref}").status_code == 404  # left A's queue
    assert ref in sb.get("/staff/").get_data(as_text=True)
    assert sb.post(f"/staff/tips/{ref}/accept").status_code == 302
    # Staff propose; the lead approves.
    assert sb.post(f"/staff/tips/{ref}/conclude", data={
        "outcome": "not_substantiated",
        "public_reply": "经核查，未发现违法行为。"}).status_code == 302
    assert _tip(app, ref).status == "pending_approval"
    assert sb.post(f"/staff/tips/{ref}/approve_conclusion").status_code == 403
    assert lb.post(f"/staff/tips/{ref}/approve_conclusion").status_code == 302
    tip = _tip(app, ref)
    assert tip.status == "concluded" and tip.outcome == "not_substantiated"
    page = lb.get(f"/staff/tips/{ref}").get_data(as_text=True)
    assert "内部：先核对合同" in page and "经核查，未发现违法行为。" in page
    assert la.get(f"/staff/tips/{ref}").status_code == 404


def _event_count(app, ref) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(TipEvent.id)).join(Tip)
                                 .where(Tip.reference == ref))


def test_transfer_to_another_province_only_to_its_provincial_bureau(app, setup):
    ref = setup["first"]
    sa = _client(app, "sa")
    with app.app_context():
        taiyuan, pudong, shanghai = (bureau(c).id for c in ("140100", "310115", "310000"))
        make_staff("310000", "admin", email="sh@example.org")
    page = BeautifulSoup(sa.get(f"/staff/tips/{ref}").get_data(as_text=True), "html.parser")
    offered = {o["value"] for o in page.select("select[name=to_bureau] option")}
    assert str(shanghai) in offered  # the other province's provincial bureau
    assert str(pudong) not in offered  # not offered ...
    events = _event_count(app, ref)
    resp = sa.post(f"/staff/tips/{ref}/transfer", data={"to_bureau": pudong, "reason": "伪造"})
    # ... and a forged POST is refused the same way: nothing changes.
    assert resp.status_code == 422
    assert "跨省移送只能移送至对方省级市场监督管理部门" in resp.get_data(as_text=True)
    assert _tip(app, ref).bureau_id == taiyuan and _event_count(app, ref) == events

    resp = sa.post(f"/staff/tips/{ref}/transfer",
                   data={"to_bureau": shanghai, "reason": "经营者住所地在上海市浦东新区"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff/")
    assert _tip(app, ref).bureau_id == shanghai and _event_count(app, ref) == events + 1
    # The receiving province's administrator sees it in their queue like any tip.
    assert ref in _client(app, "sh").get("/staff/").get_data(as_text=True)
    # The sending province's administrator no longer opens it, but sees the transfer.
    admin = _client(app, "admin")
    assert admin.get(f"/staff/tips/{ref}").status_code == 404
    supervised = admin.get("/staff/supervised").get_data(as_text=True)
    assert ref in supervised and "经营者住所地在上海市浦东新区" in supervised
    assert "上海市知识产权局" in supervised
    assert ref in sa.get("/staff/supervised").get_data(as_text=True)
    assert ref not in _client(app, "sb").get("/staff/supervised").get_data(as_text=True)


def test_lead_assigns_and_admin_supervises(app, setup):
    ref = setup["first"]
    la, admin = _client(app, "la"), _client(app, "admin")
    with app.app_context():
        sa_id, sb_id = (db.session.scalar(db.select(StaffUser.id).where(StaffUser.email == e))
                        for e in ("sa@example.org", "sb@example.org"))
    assert la.post(f"/staff/tips/{ref}/assign", data={"assignee": sb_id}).status_code == 422
    assert la.post(f"/staff/tips/{ref}/assign", data={"assignee": sa_id}).status_code == 302
    assert _tip(app, ref).assignee_id == sa_id
    assert admin.post(f"/staff/tips/{ref}/supervise", data={"note": ""}).status_code == 422
    resp = admin.post(f"/staff/tips/{ref}/supervise", data={"note": "请于本周内受理"})
    assert resp.status_code == 302
    assert ref in admin.get("/staff/supervised").get_data(as_text=True)
    assert ref in _client(app, "sa").get("/staff/supervised").get_data(as_text=True)
    assert ref not in _client(app, "sb").get("/staff/supervised").get_data(as_text=True)


def test_mark_duplicate_refuses_unknown_or_foreign_reference(app, setup):
    sa = _client(app, "sa")
    resp = sa.post(f"/staff/tips/{setup['second']}/mark_duplicate", data={"original": "JB-1-1"})
    assert resp.status_code == 422 and "没有找到" in resp.get_data(as_text=True)
    resp = sa.post(f"/staff/tips/{setup['second']}/mark_duplicate",
                   data={"original": setup["first"]})
    assert resp.status_code == 302
    assert setup["first"] in sa.get(f"/staff/tips/{setup['second']}").get_data(as_text=True)


# -- publishing round trips ----------------------------------------------------------

def test_publish_spot_check_form_then_withdraw_shows_on_public_page(app, setup):
    la = _client(app, "la")
    resp = la.post("/staff/records/new/spot_check", data={"agency_uscc": "bad"})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "field-error" in body and "任务编号" in body
    resp = la.post("/staff/records/new/spot_check", data={
        "agency_uscc": setup["uscc"], "task_number": "TY-2026-07", "task_name": "年度双随机抽查",
        "check_type": "不定向抽查", "completed_on": "2026-05-06", "result": "发现问题经责令已改正",
        "published_on": "2026-05-08"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        record = db.session.scalar(
            db.select(SpotCheck).where(SpotCheck.task_number == "TY-2026-07"))
        assert record.bureau.code == "140100" and record.created_by_id is not None
        record_id = record.id
    public = page(app.test_client(), f"/spot-checks/{record_id}")
    assert "发现问题经责令已改正" in public.get_text()
    assert la.post(f"/staff/records/spot_check/{record_id}/withdraw",
                   data={"reason": ""}).status_code == 422
    assert la.post(f"/staff/records/spot_check/{record_id}/withdraw",
                   data={"reason": "检查结论有误，已撤销"}).status_code == 302
    with app.app_context():
        record = db.session.get(SpotCheck, record_id)
        assert record.status == "withdrawn" and not record.is_public()
        assert record.status_changed_by_id is not None
    public = str(page(app.test_client(), f"/spot-checks/{record_id}", status=410))  # withdrawn
    assert "发现问题经责令已改正" not in public or "撤回" in public


def test_edit_keeps_the_record_and_reports_errors_inline(app, setup):
    la = _client(app, "la")
    la.post("/staff/records/new/spot_check", data={
        "agency_uscc": setup["uscc"], "task_number": "TY-2026-08", "task_name": "抽查",
        "check_type": "专项检查", "completed_on": "2026-05-06", "result": "未发现问题"})
    with app.app_context():
        record_id = db.session.scalar(
            db.select(SpotCheck.id).where(SpotCheck.task_number == "TY-2026-08"))
    form = la.get(f"/staff/records/spot_check/{record_id}").get_data(as_text=True)
    assert "TY-2026-08" in form
    data = {"agency_uscc": setup["uscc"], "task_number": "TY-2026-08", "task_name": "抽查（更正）",
            "check_type": "专项检查", "completed_on": "not a date", "result": "未发现问题",
            "published_on": "2026-05-08"}
    assert la.post(f"/staff/records/spot_check/{record_id}", data=data).status_code == 422
    data["completed_on"] = "2026-05-07"
    assert la.post(f"/staff/records/spot_check/{record_id}", data=data).status_code == 302
    with app.app_context():
        record = db.session.get(SpotCheck, record_id)
        assert record.task_name == "抽查（更正）" and record.completed_on == dt.date(2026, 5, 7)


def test_admin_publishes_list_entry_and_removes_it(app, setup):
    admin = _client(app, "admin")
    resp = admin.post("/staff/records/new/list_entry", data={
        "agency_uscc": setup["uscc"], "list_kind": "abnormal",
        "inclusion_reason": "未按规定报送年度报告", "included_on": "2026-04-01",
        "published_on": "2026-04-01"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    url = resp.headers["Location"]
    resp = admin.post(url + "/remove", data={"removal_reason": "已补报年度报告",
                                             "removed_on": "2026-03-01"})
    assert resp.status_code == 422 and "移出日期不能早于列入日期" in resp.get_data(as_text=True)
    resp = admin.post(url + "/remove", data={"removal_reason": "已补报年度报告",
                                             "removed_on": "2026-05-10"})
    assert resp.status_code == 302
    assert "移出名录" not in admin.get(url).get_data(as_text=True)


# -- dashboard -------------------------------------------------------------------------

def test_dashboard_numbers_match_the_database(app, setup):
    sa = _client(app, "sa")
    sa.post(f"/staff/tips/{setup['first']}/accept")
    admin = _client(app, "admin")
    page = admin.get("/staff/dashboard").get_data(as_text=True)
    assert 'id="m-total">2<' in page
    status_csv = admin.get("/staff/dashboard/status.csv").get_data(as_text=True)
    assert status_csv.startswith("\ufeff")
    rows = {r[0]: r[1] for r in csv.reader(io.StringIO(status_csv.lstrip("\ufeff")))}
    assert rows["已收到，等待受理"] == "1" and rows["已受理，正在核查"] == "1"
    region = list(csv.reader(io.StringIO(
        admin.get("/staff/dashboard/region.csv").get_data(as_text=True).lstrip("\ufeff"))))
    taiyuan = next(r for r in region if r[0] == "140100")
    # Two tips against agencies in 太原, 40 practising agents: 50 per 1,000.
    assert taiyuan[2:] == ["2", "40", "50.0"]
    # The indicator covers the last 12 months: a tip from last year no longer counts.
    with app.app_context():
        old = db.session.scalar(db.select(Tip).where(Tip.reference == setup["first"]))
        old.created_at = old.created_at - dt.timedelta(days=400)
        db.session.commit()
    region = list(csv.reader(io.StringIO(
        admin.get("/staff/dashboard/region.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert next(r for r in region if r[0] == "140100")[2:] == ["1", "40", "25.0"]
    bureau_csv = sa.get("/staff/dashboard/bureau.csv").get_data(as_text=True)
    assert "140100" in bureau_csv and "2" in bureau_csv
    assert sa.get("/staff/dashboard/nope.csv").status_code == 404


# -- administration ----------------------------------------------------------------------

def test_admin_manages_staff_routing_and_holidays(app, setup):
    admin = _client(app, "admin")
    resp = admin.post("/staff/admin/staff", data={"email": "new@example.org", "name": "新人",
                                                  "role": "staff", "bureau": "140200",
                                                  "password": "short"})
    assert resp.status_code == 422 and "12" in resp.get_data(as_text=True)
    resp = admin.post("/staff/admin/staff", data={"email": "new@example.org", "name": "新人",
                                                  "role": "staff", "bureau": "140200",
                                                  "password": "a long enough password"})
    assert resp.status_code == 302
    newbie = app.test_client()
    assert login(newbie, "new@example.org", "a long enough password").status_code == 302
    with app.app_context():
        uid = db.session.scalar(db.select(StaffUser.id).where(StaffUser.email == "new@example.org"))
    assert admin.post(f"/staff/admin/staff/{uid}/deactivate").status_code == 302
    assert newbie.get("/staff/").status_code == 302
    resp = admin.post("/staff/admin/roles", data={"role": "lead", "required": "1"})
    assert resp.status_code == 302
    la = app.test_client()
    login(la, "la@example.org")
    assert la.get("/staff/").headers["Location"].endswith("/staff/account/totp")

    with app.app_context():
        datong = bureau("140200").id
    resp = admin.post("/staff/admin/routing", data={"division_prefix": "31", "bureau": datong})
    assert resp.status_code == 422
    resp = admin.post("/staff/admin/routing", data={"division_prefix": "1401", "bureau": datong,
                                                    "category": "商标代理违法", "note": "试点"})
    assert resp.status_code == 302
    with app.app_context():
        rule = db.session.scalar(db.select(RoutingRule))
        rule_id = rule.id
    assert admin.post(f"/staff/admin/routing/{rule_id}/deactivate",
                      data={"reason": "试点结束"}).status_code == 302
    page = admin.get("/staff/admin/routing").get_data(as_text=True)
    assert "试点结束" in page and "停用" in page

    assert admin.post("/staff/admin/holidays", data={"day": "2027-02-08", "workday": "0",
                                                     "name": "春节"}).status_code == 302
    with app.app_context():
        from intake.calendar import is_working_day

        assert db.session.get(CalendarDay, (dt.date(2027, 2, 8), "140000")).name == "春节"
        assert not is_working_day(dt.date(2027, 2, 8), "140100")  # the province's bureaus
    assert admin.post("/staff/admin/holidays/2027-02-08/delete").status_code == 302


# -- import: upload -> preview -> confirm -----------------------------------------------

def _csv(uscc, completed="2026-04-02"):
    header = "任务编号,任务名称,检查类型,统一社会信用代码,检查完成日期,检查结果\n"
    rows = (f"TY-IMP-1,导入抽查,不定向抽查,{uscc},{completed},未发现问题\n"
            f"TY-IMP-2,导入抽查,专项检查,{uscc},2026-04-03,发现问题经责令已改正\n")
    return ("\ufeff" + header + rows).encode("utf-8")


def test_import_preview_then_confirm(app, setup):
    la = _client(app, "la")
    bad = la.post("/staff/import", data={"kind": "spot_check",
                                         "file": (io.BytesIO(_csv(setup["uscc"], "不是日期")),
                                                  "x.csv")},
                  content_type="multipart/form-data")
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "检查完成日期" in body and "确认导入" not in body
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SpotCheck.id))) == 0
    resp = la.post("/staff/import", data={"kind": "spot_check",
                                          "file": (io.BytesIO(_csv(setup["uscc"])), "x.csv")},
                   content_type="multipart/form-data")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "确认导入" in body and "TY-IMP-1" in body
    token = body.split('name="token" value="')[1].split('"')[0]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SpotCheck.id))) == 0  # preview only
    # Another user's session cannot use the token.
    other = _client(app, "lb").post("/staff/import/confirm", data={"token": token})
    assert other.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SpotCheck.id))) == 0
    resp = la.post("/staff/import/confirm", data={"token": token})
    assert resp.status_code == 302
    with app.app_context():
        records = list(db.session.scalars(db.select(SpotCheck)))
        assert len(records) == 2 and {r.bureau.code for r in records} == {"140100"}
    assert la.post("/staff/import/confirm", data={"token": token}).status_code == 302  # used up
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SpotCheck.id))) == 2
    staff = _client(app, "sa")
    assert staff.post("/staff/import", data={"kind": "spot_check"}).status_code == 403


def test_build_demo_staff_is_deterministic(app_ctx):
    from portal.auth import services
    from portal.auth.demo import build_demo_staff

    first = build_demo_staff()
    db.session.commit()
    assert build_demo_staff() == first
    db.session.commit()
    roles = {(email, role, code) for email, role, code, _pw in first}
    assert ("admin@shanxi.demo", "admin", "140000") in roles
    assert {code for _e, _r, code in roles} >= {"140100", "140200", "140105"}
    for email, _role, _code, password in first:
        assert services.verify_password(services.find_staff(email), password)
