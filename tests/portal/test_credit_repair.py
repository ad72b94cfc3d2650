"""Credit repair applications (信用修复, issue 14): the eligibility rule, the application
form's checks, the bureau's queue and actions, what approval does to the public register,
and tracking."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from urllib.parse import quote

import pytest

from intake import calendar, codes, storage
from portal.extensions import db
from portal.register.models import RegisterEvent
from portal.repair import services
from portal.repair.eligibility import eligibility
from portal.repair.models import RepairApplication, RepairEvent
from tests.factories.intake import PDF
from tests.factories.register import (
    days_ago,
    make_agency,
    make_grade,
    make_list_entry,
    make_penalty,
    make_spot_check,
)
from tests.factories.repair import application_data, make_application
from tests.factories.staff import login, make_staff
from tests.helpers import page


@pytest.fixture
def ctx(app):
    """The tests use the database between requests inside one request context; the test
    client's requests then share its ``g``: each request signs its user in anew."""
    from flask import g

    def _sign_in_anew():
        g.pop("_login_user", None)

    app.before_request_funcs.setdefault(None, []).insert(0, _sign_in_anew)  # before all
    with app.test_request_context():
        yield app


@pytest.fixture
def world(ctx):
    """An agency of 太原 (bureau 140100) with an old penalty (eligible) and a recent one."""
    agency = make_agency(name="太原修复测试专利代理有限公司", licence_no="14099",
                         division_code="140121")
    old = make_penalty(agency, decision_number="并市监罚〔2025〕901号",
                       decided_on=days_ago(410), published_on=days_ago(400))
    young = make_penalty(agency, decided_on=days_ago(40), published_on=days_ago(30))
    staff = make_staff("140100", "staff", email="repair-staff@example.org")
    lead = make_staff("140100", "lead", email="repair-lead@example.org")
    other_lead = make_staff("140200", "lead", email="repair-lead-b@example.org")
    db.session.commit()
    return {"agency": agency, "old": old, "young": young, "staff": staff, "lead": lead,
            "other_lead": other_lead}


def _form(record, **overrides):
    data = {k: v for k, v in application_data(record).items() if v is not None}
    data.update(pledge="y", files=(io.BytesIO(PDF), "缴款凭证.pdf"))
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _apply(client, record, **overrides):
    return client.post(f"/repair/new?kind={record.KIND}&id={record.id}",
                       data=_form(record, **overrides), content_type="multipart/form-data")


def _code(resp) -> str:
    return re.search(r'id="tracking-code-field"[^>]*value="([^"]+)"',
                     resp.get_data(as_text=True)).group(1)


# -- the rule -------------------------------------------------------------------------

def test_penalty_eligible_after_the_configured_months(world, app):
    old, young = world["old"], world["young"]
    assert eligibility(old).eligible
    rule = eligibility(young)
    assert rule.repairable and not rule.eligible
    assert rule.from_date == services.eligibility.__globals__["add_months"](young.published_on, 6)
    app.config["REPAIR_MIN_PUBLISHED_MONTHS"] = 24  # stricter: the old one must wait too
    assert not eligibility(old).eligible
    app.config["REPAIR_MIN_PUBLISHED_MONTHS"] = 0  # never below the register's 6 months
    assert not eligibility(young).eligible
    assert eligibility(young, on=young.published_on + dt.timedelta(days=190)).eligible


def test_excluded_and_running_kinds(world, app):
    agency = world["agency"]
    revoked = make_penalty(agency, penalty_kinds="吊销执业许可证", fine_amount=None,
                           decided_on=days_ago(410), published_on=days_ago(400))
    rule = eligibility(revoked)
    assert not rule.repairable and "吊销执业许可证" in rule.reason
    app.config["REPAIR_EXCLUDED_PENALTY_KINDS"] = "罚款、吊销执业许可证"
    assert not eligibility(world["old"]).repairable  # 警告、罚款 is now excluded
    app.config["REPAIR_EXCLUDED_PENALTY_KINDS"] = "吊销执业许可证"
    suspended = make_penalty(agency, penalty_kinds="警告、责令停止承接新的专利代理业务",
                             fine_amount=None, suspension_months=12,
                             decided_on=days_ago(300), published_on=days_ago(290))
    rule = eligibility(suspended)
    assert rule.repairable and not rule.eligible  # the suspension still runs
    assert rule.from_date > suspended.decided_on + dt.timedelta(days=360)
    app.config["REPAIR_WHILE_RUNNING_PENALTY_KINDS"] = ""
    assert eligibility(suspended).eligible


def test_other_kinds_and_lists(world):
    agency = world["agency"]
    assert not eligibility(make_spot_check(agency)).repairable
    assert not eligibility(make_grade(agency)).repairable
    abnormal = make_list_entry(agency, included_on=days_ago(500), published_on=days_ago(500))
    assert not eligibility(abnormal).repairable
    serious = make_list_entry(agency, list_kind="serious", inclusion_reason="其他",
                              included_on=days_ago(400), published_on=days_ago(400))
    assert eligibility(serious).eligible
    recent = make_list_entry(agency, list_kind="serious", inclusion_reason="其他",
                             included_on=days_ago(200), published_on=days_ago(200))
    assert eligibility(recent).repairable and not eligibility(recent).eligible  # 12 months


def test_record_page_says_whether_and_from_when(world, client):
    doc = page(client, f"/penalties/{world['old'].decision_key}")
    link = doc.select_one("#repair-apply")
    assert link is not None and f"id={world['old'].id}" in link["href"]
    doc = page(client, f"/penalties/{world['young'].decision_key}")
    assert doc.select_one("#repair-apply") is None
    assert "起可以申请信用修复" in doc.select_one("#repair-status").get_text()


# -- the form ----------------------------------------------------------------------------

def test_wrong_uscc_or_licence_is_refused(world, client):
    old = world["old"]
    other = make_agency()
    resp = _apply(client, old, uscc=other.uscc)
    assert resp.status_code == 422
    assert "统一社会信用代码与该记录的当事人不一致" in resp.get_data(as_text=True)
    resp = _apply(client, old, licence_no="99999")
    assert resp.status_code == 422 and "执业许可证号" in resp.get_data(as_text=True)
    resp = _apply(client, old, uscc="123")
    assert resp.status_code == 422 and "统一社会信用代码无效" in resp.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(RepairApplication)) == 0


def test_files_are_checked(world, client):
    old = world["old"]
    resp = _apply(client, old, files=(io.BytesIO(b"MZ not a pdf at all"), "x.pdf"))
    assert resp.status_code == 422 and "不是允许的格式" in resp.get_data(as_text=True)
    resp = _apply(client, old, files=None)
    assert resp.status_code == 422 and "请上传证明" in resp.get_data(as_text=True)
    resp = _apply(client, old, contact_phone=None, contact_email=None)
    assert resp.status_code == 422 and "至少留下联系电话或电子邮箱" in resp.get_data(as_text=True)


def test_young_record_cannot_be_applied_for(world, client):
    resp = _apply(client, world["young"])
    assert resp.status_code == 422 and "起可以申请信用修复" in resp.get_data(as_text=True)


def test_filing_routes_to_the_publishing_bureau_with_a_deadline(world, client, app):
    old = world["old"]
    resp = _apply(client, old)
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    code = _code(resp)
    assert codes.normalize(code)
    application = db.session.scalar(db.select(RepairApplication))
    assert application.bureau.code == "140100"
    assert application.due_on == calendar.add_working_days(
        application.received_on, app.config["REPAIR_DECISION_DAYS"], province="140100")
    assert application.reference in resp.get_data(as_text=True)
    assert application.tracking_hash == codes.hash_code(code)
    assert len(application.files) == 1
    stored = storage.path_for(application.files[0].stored_name)
    assert os.path.isfile(stored) and not stored.startswith(app.static_folder)
    assert [e.kind for e in application.events] == ["submitted"]
    # One open application per record.
    again = _apply(client, old)
    assert again.status_code == 422 and "已有一份正在办理" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(RepairApplication)) == 1


def test_the_same_form_sent_twice_files_once_and_shows_its_receipt_again(world, client, app):
    """A double click, or Back and submit again, sends the form's submission key twice: one
    application, and the second answer is the receipt with the same code (while the receipt
    window lasts; afterwards the receipt without the code) — not an error."""
    from intake import receipts

    old = world["old"]
    page = client.get(f"/repair/new?kind=penalty&id={old.id}").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    assert receipts.is_key(key)
    first = _apply(client, old, submission_key=key)
    second = _apply(client, old, submission_key=key)
    assert first.status_code == second.status_code == 200
    assert _code(second) == _code(first)
    assert db.session.scalar(db.select(db.func.count()).select_from(RepairApplication)) == 1
    application = db.session.scalar(db.select(RepairApplication))
    application.sealed_until = application.created_at  # the window is over
    db.session.commit()
    late = _apply(client, old, submission_key=key)
    assert late.status_code == 200 and 'id="tracking-code-field"' not in late.get_data(True)
    assert application.reference in late.get_data(as_text=True)
    # a form that comes back with errors keeps its key: fixing them and sending again, or
    # sending twice, still files once
    fresh = receipts.new_key()
    application.open_key = None  # (the record is free again, as after a decision)
    db.session.commit()
    bad = _apply(client, old, submission_key=fresh, uscc="")
    assert bad.status_code == 422
    assert f'name="submission_key" value="{fresh}"' in bad.get_data(as_text=True)


def test_unregistered_party_uses_the_party_uscc(world, client):
    from tests.factories.register import make_uscc

    party = make_uscc("140105")
    penalty = make_penalty(None, party_uscc=party, decided_on=days_ago(410),
                           published_on=days_ago(400))
    db.session.commit()
    assert _apply(client, penalty, uscc=make_uscc("140105")).status_code == 422
    resp = _apply(client, penalty, uscc=party)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:400]


def test_find_by_decision_number(world, client):
    resp = client.get("/repair/new", query_string={"decision": "并市监罚（2025）901号"})
    assert resp.status_code == 303
    assert f"id={world['old'].id}" in resp.headers["Location"]
    assert client.get("/repair/new", query_string={"decision": "无此文号"}).status_code == 422


# -- the bureau ---------------------------------------------------------------------------

def _signed_in(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_approval_needs_identity_and_a_lead_then_hides_the_record(world, app, client):
    old = world["old"]
    application = make_application(old)
    ref = application.reference
    staff, lead = _signed_in(app, "repair-staff@example.org"), _signed_in(app,
                                                                         "repair-lead@example.org")
    # The bureau's list shows it with its deadline.
    doc = page(staff, "/staff/repairs/")
    assert ref in doc.select_one("#repair-list").get_text()
    # Deciding before the identity is confirmed: refused.
    assert lead.post(f"/staff/repairs/{ref}/approve").status_code == 409
    assert staff.post(f"/staff/repairs/{ref}/verify", data={"note": ""}).status_code == 422
    assert staff.post(f"/staff/repairs/{ref}/verify",
                      data={"note": "已电话回拨登记电话核实"}).status_code == 303
    assert staff.post(f"/staff/repairs/{ref}/approve").status_code == 403  # not a lead
    other = _signed_in(app, "repair-lead-b@example.org")
    assert other.post(f"/staff/repairs/{ref}/approve").status_code == 404  # other bureau
    # Before: public everywhere.
    assert client.get(f"/penalties/{old.decision_key}").status_code == 200
    assert old.decision_number in client.get("/penalties/").get_data(as_text=True)
    assert client.get("/search/", query_string={"q": old.decision_number}).status_code == 303
    assert lead.post(f"/staff/repairs/{ref}/approve").status_code == 303
    db.session.expire_all()
    assert old.status == "repaired" and old.status_reason == "信用修复"
    assert application.status == "approved" and application.open_key is None
    assert [e.kind for e in application.events] == ["submitted", "identity_verified",
                                                    "approved"]
    history = db.session.scalars(db.select(RegisterEvent).where(
        RegisterEvent.subject == "penalty", RegisterEvent.subject_id == old.id)).all()
    assert [e.action for e in history][-1] == "repaired"
    # After: the page says why, the list, the CSV and search no longer show it.
    html = client.get(f"/penalties/{old.decision_key}").get_data(as_text=True)
    assert "信用修复" in html and "已停止公示" in html
    assert old.decision_number not in client.get("/penalties/").get_data(as_text=True)
    csv = client.get("/data/penalties.csv").get_data(as_text=True)
    assert old.decision_number not in csv
    found = client.get("/search/", query_string={"q": old.decision_number})
    body = found.get_data(as_text=True)
    assert found.status_code == 200
    assert "/penalties/" + quote(old.decision_key) not in body
    assert f"/penalties/{old.decision_key}" not in body
    # A decided application takes no more actions.
    assert lead.post(f"/staff/repairs/{ref}/refuse", data={"reason": "x"}).status_code == 409


def test_refusal_needs_a_reason_and_frees_the_record(world, app):
    old = world["old"]
    application = make_application(old)
    ref = application.reference
    lead = _signed_in(app, "repair-lead@example.org")
    lead.post(f"/staff/repairs/{ref}/verify", data={"note": "查验营业执照"})
    assert lead.post(f"/staff/repairs/{ref}/refuse", data={"reason": " "}).status_code == 422
    assert lead.post(f"/staff/repairs/{ref}/refuse",
                     data={"reason": "罚款尚未缴清"}).status_code == 303
    db.session.expire_all()
    assert application.status == "refused" and application.decision_reason == "罚款尚未缴清"
    assert old.status == "published"
    make_application(old)  # a new application may be filed now


def test_files_download_never_inline(world, app):
    application = make_application(world["old"])
    staff = _signed_in(app, "repair-staff@example.org")
    resp = staff.get(f"/staff/repairs/{application.reference}/files/{application.files[0].id}")
    assert resp.status_code == 200 and resp.get_data().startswith(b"%PDF")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.mimetype == "application/octet-stream"


def test_storage_check_keeps_application_files(world):
    application = make_application(world["old"])
    report = storage.reconcile(grace_seconds=0, fix=True)
    assert report.orphans == [] and report.removed == 0
    assert os.path.isfile(storage.path_for(application.files[0].stored_name))


def test_events_are_append_only(world):
    application = make_application(world["old"])
    application.events[0].public_text = "changed"
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


def test_serious_list_entry_approval_removes_it(world, app):
    entry = make_list_entry(world["agency"], list_kind="serious", inclusion_reason="其他",
                            included_on=days_ago(400), published_on=days_ago(400))
    db.session.commit()
    application = make_application(entry)
    lead = _signed_in(app, "repair-lead@example.org")
    lead.post(f"/staff/repairs/{application.reference}/verify", data={"note": "现场核验"})
    assert lead.post(f"/staff/repairs/{application.reference}/approve").status_code == 303
    db.session.expire_all()
    assert entry.removed_on is not None and entry.removal_reason == "信用修复"


# -- tracking ------------------------------------------------------------------------------

def test_tracking_by_code(world, app, client):
    resp = _apply(client, world["old"])
    code = _code(resp)
    assert client.post("/repair/track", data={"code": "AAAA-BBBB"}).status_code == 422
    resp = client.post("/repair/track", data={"code": code.lower()})
    assert resp.status_code == 303 and code not in resp.headers["Location"]
    doc = page(client, "/repair/track")
    assert doc.select_one("#repair-track-status").get_text() == "办理中"
    application = db.session.scalar(db.select(RepairApplication))
    lead = _signed_in(app, "repair-lead@example.org")
    lead.post(f"/staff/repairs/{application.reference}/verify", data={"note": "电话核实"})
    lead.post(f"/staff/repairs/{application.reference}/refuse", data={"reason": "材料不全"})
    doc = page(client, "/repair/track")
    assert doc.select_one("#repair-track-status").get_text() == "不予修复"
    assert doc.select_one("#repair-track-reason").get_text() == "材料不全"
    assert "电话核实" not in str(doc)  # staff-only notes never reach the applicant
    client.post("/repair/track/leave")
    assert page(client, "/repair/track").select_one("#repair-track-status") is None


def test_event_texts_public_or_internal(world):
    application = make_application(world["old"])
    services.verify_identity(application, world["lead"], "回拨核实")
    db.session.commit()
    event = db.session.scalar(db.select(RepairEvent).where(RepairEvent.kind
                                                            == "identity_verified"))
    assert event.internal_text == "回拨核实" and "回拨" not in (event.public_text or "")
