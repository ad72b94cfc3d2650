"""Association self-discipline measures (行业自律惩戒, issue 14): the fifth kind of public
record, its editable vocabulary and the association publisher who alone (with the
provincial administrator) publishes it."""

from __future__ import annotations

import csv
import io

import pytest

from portal.association import measure_kinds
from portal.auth import permissions
from portal.extensions import db
from portal.register import kinds, services
from portal.register.models import Agent, AgentPractice, AssociationMeasure, AssociationMeasureKind
from tests.factories.intake import make_tip
from tests.factories.register import bureau, days_ago, make_agency
from tests.factories.staff import PASSWORD, login, make_staff
from tests.helpers import page, post_form

BASIS = "《专利代理行业自律惩戒规则》第十条"
BODY = "中华全国专利代理师协会"


@pytest.fixture
def world(app):
    """The default vocabulary, an agency with an agent who moved there from another agency,
    and the accounts: the association publisher, a bureau lead and the administrator."""
    with app.test_request_context():
        measure_kinds.ensure_default_kinds()
        old = make_agency(name="太原旧所知识产权代理有限公司")
        agency = make_agency(name="太原自律测试专利代理有限公司")
        agent = Agent(certificate_no="1410012345.6", name="测试代理师甲", agency=agency,
                      status="practising")
        agent.practices = [
            AgentPractice(agency=old, started_on=days_ago(900), ended_on=days_ago(400)),
            AgentPractice(agency=agency, started_on=days_ago(400), ended_on=None)]
        db.session.add(agent)
        db.session.commit()
        make_staff("140000", "association", email="assoc@example.org")
        make_staff("140100", "lead", email="lead@example.org")
        make_staff("140000", "admin", email="admin@example.org")
        return {"agency": agency.uscc, "agency_id": agency.id, "old": old.uscc,
                "old_id": old.id, "agent": agent.certificate_no, "agent_id": agent.id}


def _form(world, **extra) -> dict:
    data = {"party_uscc": world["agency"], "measure": "public_censure",
            "facts": "该机构代理非正常专利申请，情节严重。", "basis": BASIS,
            "decided_by": BODY, "decided_on": days_ago(20).isoformat(),
            "decision_number": "专代协惩〔2026〕1号",
            "published_on": days_ago(10).isoformat()}
    data.update(extra)
    return data


def _signed_in(app, email):
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code == 302
    return client


def _measure(**where) -> AssociationMeasure:
    return db.session.scalar(db.select(AssociationMeasure).filter_by(**where))


# -- publishing ----------------------------------------------------------------------

def test_publisher_publishes_through_the_form_and_it_is_public(app, world):
    client = _signed_in(app, "assoc@example.org")
    form = page(client, "/staff/records/new/association_measure")
    options = [o["value"] for o in form.select("#measure option") if o["value"]]
    assert options[:2] == ["interview", "admonition"] and len(options) == 7
    post_form(client, "/staff/records/new/association_measure?bureau=140000", _form(world))
    with app.app_context():
        m = _measure(decision_number="专代协惩〔2026〕1号")
        assert m.agency_id == world["agency_id"] and m.agent_id is None
        assert m.party_name == "太原自律测试专利代理有限公司" and m.authority == BODY
        assert m.bureau.code == "140000" and m.measure == "public_censure"
        record_id = m.id
    public = app.test_client()
    detail = page(public, f"/association-measures/{record_id}")
    assert "公开谴责" in detail.select_one("h1").get_text()
    assert BASIS in detail.get_text() and BODY in detail.get_text()
    listing = page(public, "/association-measures/", query_string={"measure": "public_censure"})
    assert f"/association-measures/{record_id}" in str(listing)
    other = page(public, "/association-measures/", query_string={"measure": "interview"})
    assert f"/association-measures/{record_id}" not in str(other)
    profile = page(public, f"/agencies/{world['agency']}")
    section = profile.select_one("#measures").find_next("table")
    assert "公开谴责" in section.get_text() and BODY in section.get_text()
    # the staff list of the publisher shows it; the landing page leads there
    assert "公开谴责" in page(client, "/staff/records").get_text()
    landing = client.get("/staff/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/staff/records")


def test_form_errors_are_422_in_the_page_language(app, world):
    client = _signed_in(app, "assoc@example.org")
    doc = post_form(client, "/staff/records/new/association_measure",
                    _form(world, party_uscc="", measure="", facts=""), status=422)
    assert "请填写当事人的统一社会信用代码" in doc.get_text()
    assert doc.select_one("#facts")["aria-invalid"] == "true"
    doc = post_form(client, "/staff/records/new/association_measure?lang=en",
                    _form(world, measure="罚款"), status=422)
    assert "罚款" in doc.get_text()
    post_form(client, "/staff/records/new/association_measure?lang=zh_CN", _form(world))
    again = post_form(client, "/staff/records/new/association_measure", _form(world), status=422)
    assert "已经公示过" in again.get_text()
    english = post_form(client, "/staff/records/new/association_measure?lang=en", _form(world),
                        status=422)
    assert "has already been published" in english.get_text()


def test_measure_against_an_agent_names_the_agency_at_the_time(app, world):
    client = _signed_in(app, "assoc@example.org")
    post_form(client, "/staff/records/new/association_measure", _form(
        world, party_uscc="", agent_certificate_no=" 1410012345.6 ", measure="警告",
        decision_number="", decided_on=days_ago(500).isoformat(),
        published_on=days_ago(450).isoformat(), facts="该代理师未落实签名责任制。"))
    with app.app_context():
        m = _measure(agent_id=world["agent_id"])
        assert m.agency_id == world["old_id"]  # practised there on the decision date
        assert m.party_name == "测试代理师甲" and m.measure == "warning"
        assert m.measure_key.startswith("p:agent:1410012345.6:warning:")
        record_id = m.id
    public = app.test_client()
    old_profile = page(public, f"/agencies/{world['old']}").select_one("#measures").find_next()
    assert "测试代理师甲" in old_profile.get_text()
    new_profile = page(public, f"/agencies/{world['agency']}")
    assert "暂无公示中的行业自律惩戒" in new_profile.get_text()
    with app.test_request_context():
        from flask import render_template

        agent = db.session.get(Agent, world["agent_id"])
        html = render_template("register/_agent_measures.html", agent=agent)
    assert f"/association-measures/{record_id}" in html and "太原旧所" in html
    # a name that is not the agent's is refused
    doc = post_form(client, "/staff/records/new/association_measure", _form(
        world, party_uscc="", agent_certificate_no="1410012345.6", party_name="别人"), status=422)
    assert "不符" in doc.get_text()


def test_withdrawn_measure_disappears(app, world):
    client = _signed_in(app, "assoc@example.org")
    post_form(client, "/staff/records/new/association_measure", _form(world))
    with app.app_context():
        record_id = _measure(decision_number="专代协惩〔2026〕1号").id
    post_form(client, f"/staff/records/association_measure/{record_id}/withdraw",
              {"reason": "决定已撤销"})
    public = app.test_client()
    assert public.get(f"/association-measures/{record_id}").status_code == 410
    assert f"/association-measures/{record_id}" not in page(public,
                                                              "/association-measures/").decode()
    assert "暂无公示中的行业自律惩戒" in page(public, f"/agencies/{world['agency']}").get_text()
    assert "决定已撤销" not in public.get("/data/association_measure.csv").get_data(as_text=True)
    body = public.get("/search/", query_string={"q": "专代协惩〔2026〕1号"}).get_data(as_text=True)
    assert f"/association-measures/{record_id}" not in body


def test_import_by_the_publisher_is_all_or_nothing(app, world, tmp_path):
    header = "惩戒决定文号,当事人名称,统一社会信用代码,执业证号,惩戒措施,违规事实,惩戒依据,作出决定的协会,惩戒决定日期\n"
    day = days_ago(30).isoformat()
    good = (f"专代协惩〔2026〕7号,,{world['agency']},,通报批评,事实一,{BASIS},{BODY},{day}\n"
            f",,,1410012345.6,Warning,事实二,{BASIS},{BODY},{day}\n")
    client = _signed_in(app, "assoc@example.org")
    bad = header + good + f"专代协惩〔2026〕8号,,{world['agency']},,罚款,事实三,{BASIS},{BODY},{day}\n"
    doc = post_form(client, "/staff/import", {
        "kind": "association_measure",
        "file": (io.BytesIO(bad.encode("utf-8-sig")), "measures.csv")}, status=422,
        content_type="multipart/form-data")
    assert "罚款" in doc.get_text()
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AssociationMeasure.id))) == 0
    doc = post_form(client, "/staff/import", {
        "kind": "association_measure",
        "file": (io.BytesIO((header + good).encode("utf-8-sig")), "measures.csv")}, status=200,
        content_type="multipart/form-data")
    token = doc.select_one('input[name="token"]')["value"]
    post_form(client, "/staff/import/confirm", {"token": token})
    with app.app_context():
        rows = list(db.session.scalars(db.select(AssociationMeasure).order_by(
            AssociationMeasure.id)))
        assert [(r.measure, r.agency_id, r.agent_id) for r in rows] == [
            ("circulated_criticism", world["agency_id"], None),
            ("warning", world["agency_id"], world["agent_id"])]
        assert {r.bureau.code for r in rows} == {"140000"}


def test_download_api_feed_and_search_have_it(app, world):
    with app.test_request_context():
        services.publish_record("association_measure", _form(world, facts="独特违规事实甲乙丙"),
                                bureau=bureau("140000"))
        db.session.commit()
        record_id = _measure(decision_number="专代协惩〔2026〕1号").id
    public = app.test_client()
    text = public.get("/data/association_measure.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["惩戒措施"] == "公开谴责" and rows[0]["统一社会信用代码"] == world["agency"]
    data = public.get("/api/v1/association-measures").get_json()
    assert [i["id"] for i in data["items"]] == [record_id]
    assert data["items"][0]["measure"] == "public_censure"
    assert public.get(f"/api/v1/association-measures/{record_id}").status_code == 200
    assert public.get("/feeds/association-measures.atom").status_code == 200
    body = public.get("/search/", query_string={"q": "独特违规事实甲乙丙"}).get_data(as_text=True)
    assert f"/association-measures/{record_id}" in body
    assert "association_measure" in public.get("/data/").get_data(as_text=True)


# -- who may publish ----------------------------------------------------------------------

def test_bureau_lead_may_not_publish_measures_but_the_administrator_may(app, world):
    lead = _signed_in(app, "lead@example.org")
    assert lead.get("/staff/records/new/association_measure").status_code == 403
    assert lead.post("/staff/records/new/association_measure",
                     data=_form(world)).status_code == 403
    assert "association_measure" not in lead.get("/staff/records").get_data(as_text=True)
    admin = _signed_in(app, "admin@example.org")
    post_form(admin, "/staff/records/new/association_measure?bureau=140100", _form(world))
    with app.app_context():
        assert _measure(decision_number="专代协惩〔2026〕1号").bureau.code == "140100"
        record_id = _measure(decision_number="专代协惩〔2026〕1号").id
    # the publisher edits and withdraws its own bureau's measures only
    client = _signed_in(app, "assoc@example.org")
    assert client.get(f"/staff/records/association_measure/{record_id}").status_code == 403
    assert client.post(f"/staff/records/association_measure/{record_id}/withdraw",
                       data={"reason": "x"}).status_code == 403


def test_association_role_gets_nothing_of_the_tip_side(app, world):
    with app.test_request_context():  # a tip in the triage queue of the publisher's bureau
        tip = make_tip().tip
        tip.bureau = bureau("140000")
        db.session.commit()
        ref = tip.reference
    client = _signed_in(app, "assoc@example.org")
    for url in ("/staff/?bureau=140000", "/staff/all", "/staff/supervised",
                f"/staff/tips/{ref}", "/staff/dashboard", "/staff/dashboard?bureau=140000",
                "/staff/dashboard/status.csv", "/staff/audit", "/staff/admin/staff",
                "/staff/admin/routing", f"/staff/tips/{ref}/reporter"):
        status = client.get(url).status_code
        assert status in (302, 403), (url, status)
        if url != "/staff/?bureau=140000":
            assert status == 403, url
    assert client.post(f"/staff/tips/{ref}/add_note", data={"text": "x"}).status_code == 403
    nav = page(client, "/staff/records")
    links = {a["href"] for a in nav.select("nav.staff-nav a")}
    assert "/staff/association/measure-kinds" in links
    assert not links & {"/staff/", "/staff/supervised", "/staff/dashboard"}


def test_permission_predicates_for_the_association_role(app, world):
    with app.app_context():
        from portal.auth.models import StaffUser

        user = db.session.scalar(db.select(StaffUser).filter_by(email="assoc@example.org"))
        lead = db.session.scalar(db.select(StaffUser).filter_by(email="lead@example.org"))
        assert permissions.publishable_kinds(user) == ["association_measure"]
        assert permissions.can_publish(user, "association_measure", user.bureau)
        assert not permissions.can_publish(user, "penalty", user.bureau)
        assert not permissions.can_publish(lead, "association_measure", lead.bureau)
        assert not permissions.works_tips(user)
        assert not permissions.in_jurisdiction(user, user.bureau)
        assert not permissions.can_view_dashboard(user, user.bureau)
        assert not permissions.can_read_audit(user, user.bureau)
        assert not permissions.supervises(user, user.bureau)
        assert permissions.can_manage_measure_kinds(user)
        assert not permissions.can_manage_measure_kinds(lead)


# -- the vocabulary ----------------------------------------------------------------------

def test_vocabulary_is_edited_and_a_deactivated_kind_is_refused(app, world):
    client = _signed_in(app, "assoc@example.org")
    doc = page(client, "/staff/association/measure-kinds")
    assert len(doc.select("tbody tr")) == 7
    post_form(client, "/staff/association/measure-kinds",
              {"key": "self_review", "name_zh": "责令检讨", "name_en": "Self-criticism",
               "severity": "15"})
    bad = post_form(client, "/staff/association/measure-kinds",
                    {"key": "Bad Key", "name_zh": "约谈", "name_en": "", "severity": "x"},
                    status=422)
    assert bad.select_one("#new-key")["aria-invalid"] == "true"
    assert "已有名为“约谈”的惩戒种类" in bad.get_text()
    with app.app_context():
        interview = db.session.scalar(db.select(AssociationMeasureKind).filter_by(key="interview"))
        kind_id = interview.id
    post_form(client, f"/staff/association/measure-kinds/{kind_id}",
              {"name_zh": "诫勉约谈", "name_en": "Cautionary talk", "severity": "10"})
    post_form(client, f"/staff/association/measure-kinds/{kind_id}/deactivate")
    form = page(client, "/staff/records/new/association_measure")
    options = [o.get_text() for o in form.select("#measure option")]
    assert "责令检讨" in options and "诫勉约谈" not in options
    refused = post_form(client, "/staff/records/new/association_measure",
                        _form(world, measure="诫勉约谈"), status=422)
    assert "诫勉约谈" in refused.select_one("#err-measure").get_text()
    post_form(client, "/staff/records/new/association_measure", _form(world, measure="责令检讨"))
    # English pages show the English name
    with app.app_context():
        record_id = _measure(measure="self_review").id
    english = page(app.test_client(), f"/association-measures/{record_id}?lang=en")
    assert "Self-criticism" in english.select_one("h1").get_text()
    # a bureau lead may not edit the vocabulary; the administrator may
    lead = _signed_in(app, "lead@example.org")
    assert lead.get("/staff/association/measure-kinds").status_code == 403
    assert lead.post(f"/staff/association/measure-kinds/{kind_id}/activate").status_code == 403
    admin = _signed_in(app, "admin@example.org")
    post_form(admin, f"/staff/association/measure-kinds/{kind_id}/activate")
    with app.app_context():
        assert db.session.get(AssociationMeasureKind, kind_id).active


def test_kind_declaration_is_complete(app):
    kind = kinds.get("association_measure")
    assert kind in kinds.KINDS and kinds.for_download("association_measure") is kind
    assert kind.agency_optional and kind.date_field == "decided_on"
    with app.test_request_context():
        measure_kinds.ensure_default_kinds()
        assert measure_kinds.ensure_default_kinds() == 0
        assert [k.name_zh for k in measure_kinds.active_kinds()] == [
            "约谈", "训诫", "警告", "通报批评", "公开谴责", "暂停会员权利", "取消会员资格"]
        assert measure_kinds.resolve("Public censure") == "public_censure"
        assert measure_kinds.resolve("公开谴责") == "public_censure"
        assert measure_kinds.resolve("罚款") is None
