"""Patent agents (issue 14): import (all or nothing, the practice history), the back-office
form and who may use it, the agent's page, the profile's list of agents, penalties against
an agent (the agency on the decision date, the publication window) and search."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.register import importer, queries
from portal.register.agents import agency_on, find_agent
from portal.register.cleaning import ValidationError
from portal.register.models import Agent, AgentPractice, Penalty, RegisterEvent
from tests.factories.register import days_ago, make_agency, make_penalty
from tests.factories.staff import login, make_staff
from tests.helpers import expect_status, page

HEADER = "姓名,执业证号,执业机构统一社会信用代码,执业状态,首次执业日期,在本机构执业起始日期\n"


@pytest.fixture
def ctx(app):
    """The tests work with the database between requests, inside one request context;
    the test client's requests then share its ``g``: each request signs its user in anew
    (Flask-Login keeps the user in ``g``)."""
    from flask import g

    @app.before_request
    def _sign_in_anew():
        g.pop("_login_user", None)
    with app.test_request_context():
        yield app


@pytest.fixture
def two(ctx):
    """Two agencies of 太原 (bureau 140100) and one of 大同 (140200)."""
    a = make_agency(name="太原甲知识产权代理有限公司", division_code="140121")
    b = make_agency(name="太原乙专利代理事务所（普通合伙）", division_code="140121")
    c = make_agency(name="大同丙专利代理有限公司", division_code="140213")
    db.session.commit()
    return a, b, c


def _import(text: str, name: str = "agents.csv"):
    plan = importer.plan_import("agent", text.encode("utf-8"), filename=name)
    if plan.ok:
        importer.apply_import(plan)
        db.session.commit()
    return plan


def _agent(number: str) -> Agent:
    db.session.expire_all()
    return find_agent(number)


# -- import ------------------------------------------------------------------------------

def test_import_creates_agents_with_their_first_period(two):
    a, b, _c = two
    plan = _import(HEADER + f"张伟,14201800001,{a.uscc},执业,2018-03-01,2019-05-01\n"
                   f"张伟,14201900002,{b.uscc},执业,2019-06-01,\n"
                   "李娜,14202000003,,注销执业,2020-01-02,\n")
    assert plan.ok and plan.counts["creates"] == 3, plan.errors
    first = _agent("14201800001")
    assert first.name == "张伟" and first.agency_id == a.id and first.status == "practising"
    assert [(p.agency_id, p.started_on, p.ended_on) for p in first.practices] == [
        (a.id, dt.date(2019, 5, 1), None)]
    # without 在本机构执业起始日期, a new agent's period starts when first certified
    assert _agent("14201900002").practices[0].started_on == dt.date(2019, 6, 1)
    assert _agent("14202000003").agency is None and _agent("14202000003").practices == []
    events = db.session.scalars(db.select(RegisterEvent).where(
        RegisterEvent.subject == "agent")).all()
    assert {e.action for e in events} == {"registered"} and len(events) == 3
    assert {e.via for e in events} == {"import"}
    # the same file again changes nothing
    again = importer.plan_import("agent", (HEADER + f"张伟,14201800001,{a.uscc},执业,"
                                           "2018-03-01,2019-05-01\n").encode(), filename="x.csv")
    assert again.counts["unchanged"] == 1 and again.counts["updates"] == 0


def test_a_bad_file_is_rejected_as_a_whole(two):
    a, _b, _c = two
    text = (HEADER + f"王强,14201800010,{a.uscc},执业,2018-01-01,\n"
            "赵敏,14201800011,91140100MA0000000X,执业,2018-01-01,\n"
            f"孙丽,14201800010,{a.uscc},执业,2018-01-01,\n"
            f"周杰,#12,{a.uscc},在职,2018-01-01,\n"
            f"吴刚,14201800013,{a.uscc},注销执业,2018-01-01,\n")
    plan = importer.plan_import("agent", text.encode(), filename="bad.csv")
    assert not plan.ok
    messages = [str(e) for e in plan.errors]
    assert any("第 3 行" in m and "执业机构统一社会信用代码" in m for m in messages)
    assert any("第 4 行" in m and "与第 2 行重复" in m for m in messages)
    assert any("第 5 行" in m and "执业证号" in m for m in messages)
    assert any("第 5 行" in m and "执业状态" in m for m in messages)
    assert any("第 6 行" in m and "注销执业的代理师不能有执业机构" in m for m in messages)
    with pytest.raises(ValidationError):
        importer.apply_import(plan)
    assert db.session.scalar(db.select(db.func.count()).select_from(Agent)) == 0


def test_a_change_of_agency_closes_the_period_and_opens_the_next(two):
    a, b, _c = two
    _import(HEADER + f"陈静,14201500021,{a.uscc},执业,2015-04-01,2016-01-01\n")
    plan = _import(HEADER + f"陈静,14201500021,{b.uscc},执业,2015-04-01,2024-07-01\n")
    assert plan.counts["updates"] == 1
    agent = _agent("14201500021")
    assert agent.agency_id == b.id
    periods = sorted((p.started_on, p.ended_on, p.agency_id) for p in agent.practices)
    assert periods == [(dt.date(2016, 1, 1), dt.date(2024, 7, 1), a.id),
                       (dt.date(2024, 7, 1), None, b.id)]
    # where the agent practised on a day: the period covering it (the move day is the new one)
    assert agency_on(agent, dt.date(2020, 1, 1)).id == a.id
    assert agency_on(agent, dt.date(2024, 7, 1)).id == b.id
    assert agency_on(agent, dt.date(2010, 1, 1)) is None
    changed = db.session.scalars(db.select(RegisterEvent).where(
        RegisterEvent.subject == "agent", RegisterEvent.action == "changed")).one()
    assert changed.changes == {"agency": [a.uscc, b.uscc]}
    # a move dated before the current period began is refused (by row, nothing written)
    early = importer.plan_import("agent", (HEADER + f"陈静,14201500021,{a.uscc},执业,2015-04-01,"
                                           "2024-01-01\n").encode(), filename="early.csv")
    assert not early.ok and "第 2 行" in str(early.errors[0])
    assert "在本机构执业起始日期" in str(early.errors[0]) and "2024-07-01" in str(early.errors[0])
    # leaving every registered agency closes the period without opening one
    _import("姓名,执业证号,执业机构统一社会信用代码,在本机构执业起始日期\n"
            "陈静,14201500021,,2025-01-01\n")
    agent = _agent("14201500021")
    assert agent.agency is None
    assert [p.ended_on for p in agent.practices if p.agency_id == b.id] == [dt.date(2025, 1, 1)]


def test_download_reimports_unchanged(two, client):
    a, b, _c = two
    _import(HEADER + f"刘洋,14201600031,{a.uscc},暂停执业,2016-01-01,2017-02-03\n"
            f"刘洋,14201600032,{b.uscc},执业,,\n")
    resp = expect_status(client.get("/data/agents.csv"), 200, "agents download")
    text = resp.get_data(as_text=True)
    assert text.lstrip("\ufeff").startswith("姓名,执业证号,执业机构统一社会信用代码")
    assert f"刘洋,14201600031,{a.uscc},{a.name},暂停执业,2016-01-01,2017-02-03" in text
    plan = importer.plan_import("agent", resp.get_data(), filename="agents.csv")
    assert plan.ok and plan.counts["unchanged"] == 2 and plan.counts["updates"] == 0
    for sensitive in ("身份证", "电话", "住址"):
        assert sensitive not in text


# -- the back-office form ------------------------------------------------------------------

def test_form_authorization_and_validation(two, app):
    a, b, c = two
    lead = make_staff("140100", "lead")
    other_lead = make_staff("140200", "lead")
    staff = make_staff("140100", "staff")
    admin = make_staff("140000", "admin")
    clients = {}
    for user in (lead, other_lead, staff, admin):
        clients[user.id] = app.test_client()
        login(clients[user.id], user.email)
    data = {"certificate_no": "14202100041", "name": "黄磊", "agency_uscc": a.uscc,
            "status": "practising", "certified_on": "2021-03-01", "practice_since": ""}
    assert clients[staff.id].get("/staff/agents/new").status_code == 403
    assert clients[other_lead.id].post("/staff/agents/new", data=data).status_code == 403
    assert _agent("14202100041") is None
    bad = dict(data, name="", certified_on="三月")
    doc = page(clients[lead.id], "/staff/agents/new", status=200)
    assert doc.select_one('input[name="csrf_token"]') is not None
    resp = expect_status(clients[lead.id].post("/staff/agents/new", data=bad), 422, "bad form")
    body = resp.get_data(as_text=True)
    assert "姓名不能为空" in body and "首次执业日期不是有效日期" in body
    resp = clients[lead.id].post("/staff/agents/new", data=data)
    assert resp.status_code == 302 and "/staff/agents/14202100041" in resp.headers["Location"]
    # editing: the lead of the agency's bureau and the province's administrator only
    assert clients[other_lead.id].get("/staff/agents/14202100041").status_code == 403
    assert clients[admin.id].get("/staff/agents/14202100041").status_code == 200
    moved = dict(data, agency_uscc=c.uscc, practice_since="2025-02-01")
    expect_status(clients[lead.id].post("/staff/agents/14202100041", data=moved), 302, "move")
    agent = _agent("14202100041")
    assert agent.agency_id == c.id
    assert sorted((p.agency_id, p.ended_on) for p in agent.practices) == [
        (a.id, dt.date(2025, 2, 1)), (c.id, None)]
    events = db.session.scalars(db.select(RegisterEvent).where(
        RegisterEvent.subject == "agent", RegisterEvent.subject_id == agent.id)
        .order_by(RegisterEvent.id)).all()
    assert [e.action for e in events] == ["registered", "changed"]
    assert events[1].actor_id == lead.id and events[1].via == "form"
    # now in 大同: the 太原 lead no longer edits the agent, the 大同 lead does
    assert clients[lead.id].get("/staff/agents/14202100041").status_code == 403
    assert clients[other_lead.id].get("/staff/agents/14202100041").status_code == 200
    assert clients[lead.id].get("/staff/agents/99999999").status_code == 404


# -- public pages ----------------------------------------------------------------------------

def _penalty_against(agent, **fields):
    data = {"agent_certificate_no": agent.certificate_no, "party_name": "",
            "violation_type": "代理师未落实签名责任制", "penalty_kinds": "警告",
            "fine_amount": "", "facts": "经查，当事人未在申请文件上签名。"}
    data.update(fields)
    return make_penalty(None, **data)


def test_agent_page_profile_and_penalty_pages(two, client):
    a, b, _c = two
    _import(HEADER + f"张伟,14201800051,{a.uscc},执业,2018-01-01,2018-01-01\n"
            f"张伟,14201800052,{b.uscc},执业,2018-01-01,2018-01-01\n")
    agent = _agent("14201800051")
    shown = _penalty_against(agent, decided_on=days_ago(40), published_on=days_ago(30))
    future = _penalty_against(agent, decided_on=days_ago(5), published_on=days_ago(-20))
    over = _penalty_against(agent, decided_on=days_ago(400), published_on=days_ago(390),
                            penalty_kinds="通报批评")  # a 3-month window: over
    db.session.commit()
    assert shown.agent_id == agent.id and shown.agency_id == a.id
    assert shown.party_name == "张伟" and shown.party_uscc is None
    doc = page(client, "/agents/14201800051")
    text = doc.get_text(" ")
    assert "张伟" in text and "14201800051" in text and a.name in text
    links = {unquote(x["href"]) for x in doc.select("a")}
    assert f"/agencies/{a.uscc}" in links
    assert f"/penalties/{shown.decision_key}" in links
    assert f"/penalties/{future.decision_key}" not in links
    assert f"/penalties/{over.decision_key}" not in links
    assert "2018年1月1日" in text or "2018-01-01" in text  # the period's start
    # another spelling of the number (spaces, full width) is the same agent: one URL
    moved = client.get("/agents/１４２０１８０００５１")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/agents/14201800051")
    assert client.get("/agents/nope", follow_redirects=True).status_code == 404
    # the penalty page names the agent and the agency at the time
    doc = page(client, f"/penalties/{shown.decision_key}")
    links = {unquote(x["href"]) for x in doc.select("a")}
    assert "/agents/14201800051" in links and f"/agencies/{a.uscc}" in links
    # the agency's profile: its agents (not the other agency's namesake) and the penalty
    doc = page(client, f"/agencies/{a.uscc}")
    section = doc.select_one("#agents-h").find_parent("section")
    assert "14201800051" in section.get_text() and "14201800052" not in section.get_text()
    assert section.select_one('a[href="/agents/14201800051"]') is not None
    assert f"/penalties/{shown.decision_key}" in {unquote(x["href"]) for x in doc.select("a")}
    # the list tells the namesakes apart by certificate number and agency
    doc = page(client, "/agents/", query_string={"q": "张伟"})
    rows = [r.get_text(" ") for r in doc.select("#results tbody tr")]
    assert len(rows) == 2
    assert any("14201800051" in r and a.name in r for r in rows)
    assert any("14201800052" in r and b.name in r for r in rows)
    doc = page(client, "/agents/", query_string={"q": "1420180005"})
    assert len(doc.select("#results tbody tr")) == 2


def test_profile_loads_its_agents_in_one_query(two):
    a, _b, _c = two
    _import(HEADER + "".join(f"代理师{i},1420180010{i},{a.uscc},执业,2018-01-01,\n"
                             for i in range(5)))
    assert a.id  # loaded before counting (the commit expired it)
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = queries.agency_agents(a)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 5 and len(statements) == 1
    assert rows[0].since == dt.date(2018, 1, 1)


# -- penalties against an agent ----------------------------------------------------------------

def test_penalty_agency_is_the_agency_on_the_decision_date(two):
    a, b, c = two
    _import(HEADER + f"郑洁,14201700061,{a.uscc},执业,2017-01-01,2017-01-01\n")
    _import(HEADER + f"郑洁,14201700061,{b.uscc},执业,2017-01-01,{days_ago(100).isoformat()}\n")
    agent = _agent("14201700061")
    before = _penalty_against(agent, decided_on=days_ago(200), published_on=days_ago(190))
    after = _penalty_against(agent, decided_on=days_ago(50), published_on=days_ago(45))
    named = _penalty_against(agent, party_uscc=c.uscc, decided_on=days_ago(50),
                             published_on=days_ago(45))
    db.session.commit()
    assert (before.agency_id, after.agency_id, named.agency_id) == (a.id, b.id, c.id)
    with pytest.raises(ValidationError) as exc:
        _penalty_against(agent, agent_certificate_no="00000000")
    assert "登记簿中没有执业证号为 00000000 的专利代理师" in exc.value.errors[
        "agent_certificate_no"]
    with pytest.raises(ValidationError) as exc:
        _penalty_against(agent, party_name="别人")
    assert "party_name" in exc.value.errors


def test_penalty_import_and_download_carry_the_certificate_number(two, client):
    a, _b, _c = two
    _import(HEADER + f"冯涛,14201600071,{a.uscc},执业,2016-01-01,2016-01-01\n")
    text = ("行政处罚决定书文号,当事人名称,代理师执业证号,违法行为类型,违法事实,处罚依据,处罚类别,"
            "处罚决定日期,处罚机关\n"
            f"晋市监知罚〔2026〕7001号,,14201600071,代理师未落实签名责任制,未签名,"
            f"《专利代理条例》第二十六条,警告,{days_ago(20).isoformat()},山西省市场监督管理局\n")
    plan = importer.plan_import("penalty", text.encode(), filename="p.csv")
    assert plan.ok, [str(e) for e in plan.errors]
    importer.apply_import(plan)
    db.session.commit()
    penalty = db.session.scalar(db.select(Penalty).where(Penalty.agent_id.is_not(None)))
    assert penalty.agency_id == a.id and penalty.party_name == "冯涛"
    body = expect_status(client.get("/data/penalty.csv"), 200, "penalties").get_data(as_text=True)
    assert "代理师执业证号" in body.splitlines()[0] and "14201600071" in body
    bad = text.replace("14201600071", "14209999999").replace("7001", "7002")
    plan = importer.plan_import("penalty", bad.encode(), filename="p.csv")
    assert not plan.ok and "14209999999" in str(plan.errors[0])


def test_staff_penalty_form_has_the_agent_field(two, app):
    a, _b, _c = two
    _import(HEADER + f"冯涛,14201600081,{a.uscc},执业,2016-01-01,2016-01-01\n")
    lead = make_staff("140100", "lead")
    client = app.test_client()
    login(client, lead.email)
    doc = page(client, "/staff/records/new/penalty")
    assert doc.select_one('input[name="agent_certificate_no"]') is not None
    penalty = _penalty_against(_agent("14201600081"))
    db.session.commit()
    doc = page(client, f"/staff/records/penalty/{penalty.id}")
    assert doc.select_one('input[name="agent_certificate_no"]')["value"] == "14201600081"


# -- search ------------------------------------------------------------------------------------

def _search(q: str):
    from search import service

    return service.run_search(service.parse_params(MultiDict({"q": q})))


def test_search_finds_namesakes_apart_and_a_certificate_number_opens_the_agent(two, app):
    a, b, _c = two
    _import(HEADER + f"欧阳明轩,14201800091,{a.uscc},执业,2018-01-01,\n"
            f"欧阳明轩,14201800092,{b.uscc},执业,2018-01-01,\n")
    result = _search("欧阳明轩")
    agents = [r for r in result.results if r.hit.kind == "agent"]
    assert len(agents) == 2
    facts = {" ".join(r.facts) for r in agents}
    assert any("14201800091" in f and a.name in f for f in facts)
    assert any("14201800092" in f and b.name in f for f in facts)
    assert {r.hit.url for r in agents} == {"/agents/14201800091", "/agents/14201800092"}
    assert all(r.agency is None for r in agents)  # not folded into an agency's result
    found = _search("14201800092")
    assert found.redirect == "/agents/14201800092"
    client = app.test_client()
    resp = client.get("/search/", query_string={"q": "欧阳明轩"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "/agents/14201800091" in body and "14201800092" in body
    resp = client.get("/search/", query_string={"q": "14201800091"})
    assert resp.status_code in (302, 303) and resp.headers["Location"].endswith(
        "/agents/14201800091")
    # the index follows a move: the agent's document names its new agency
    _import(HEADER + f"欧阳明轩,14201800091,{b.uscc},执业,2018-01-01,2025-01-01\n")
    moved = [r for r in _search("欧阳明轩").results if r.hit.url == "/agents/14201800091"]
    assert b.name in " ".join(moved[0].facts)
    assert db.session.scalar(db.select(db.func.count()).select_from(AgentPractice)) == 3
