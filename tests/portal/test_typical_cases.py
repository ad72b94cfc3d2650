"""Typical cases (典型案例, issue 14): writing, publishing and withdrawing them with the
right authorization, links validated, Markdown rendered inert, the public pages, profiles
and record pages, search and the feed."""

from __future__ import annotations

import feedparser
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.cases import markdown, queries, services
from portal.cases.models import CaseEvent, CaseLink, TypicalCase
from portal.extensions import db
from portal.register import services as register_services
from portal.register.urls import agency_url, record_url
from tests.factories.register import bureau, make_agency, make_penalty
from tests.factories.staff import login, make_staff
from tests.helpers import page

EVIL_BODY = """# 基本案情

<script>alert("x")</script>

[点我](javascript:alert(1)) [再点](JAVASCRIPT:alert(2)) [数据](data:text/html;base64,PHNjcmlwdD4=)

![图](https://evil.example/track.png) <img src=x onerror="alert(3)">

<div onclick="alert(4)"><b>HTML</b></div>

[官网](https://www.example.org/) [邮件](mailto:office@example.org)
"""


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


def _people() -> dict:
    return {
        "lead_a": make_staff("140100", "lead", email="lead_a@example.org"),
        "staff_a": make_staff("140100", "staff", email="staff_a@example.org"),
        "lead_b": make_staff("140200", "lead", email="lead_b@example.org"),
        "admin": make_staff("140000", "admin", email="admin@example.org"),
        "assoc": make_staff("140100", "association", email="assoc@example.org"),
    }


@pytest.fixture
def people(ctx):
    return _people()


def _form(**changes) -> dict:
    data = {"title": "代理非正常专利申请典型案例", "summary": "某机构批量代理非正常专利申请。",
            "body": "## 基本案情\n\n经查，当事人**批量**代理。", "publisher_name": "太原市市场监督管理局",
            "published_on": "", "tags": ["代理非正常专利申请"], "links": ""}
    data.update(changes)
    return data


def _new_case(actor, links="", **changes) -> TypicalCase:
    case = services.create_case(_form(links=links, **changes), actor=actor, bureau=actor.bureau)
    db.session.commit()
    return case


# -- Markdown ------------------------------------------------------------------------------

def test_markdown_is_rendered_inert():
    html = str(markdown.render(EVIL_BODY))
    soup = BeautifulSoup(html, "html.parser")
    assert {t.name for t in soup.find_all(True)} == {"h2", "p", "a"}
    assert all(set(t.attrs) <= {"href", "rel"} for t in soup.find_all(True))
    assert [a["href"] for a in soup.find_all("a")] == ["https://www.example.org/",
                                                      "mailto:office@example.org"]
    assert "<script" not in html and "<img" not in html and "<div" not in html
    assert 'href="javascript' not in html.lower() and "href=\"data:" not in html
    assert "evil.example" not in html  # no image, and its address is not even linked
    assert '<a href="https://www.example.org/" rel="nofollow noopener noreferrer">官网</a>' in html
    assert 'href="mailto:office@example.org"' in html
    assert "<h2>基本案情</h2>" in html  # the page's title is the only h1
    assert "&lt;script&gt;" in html  # shown as text, not dropped silently
    assert "<p>" not in markdown.plain_text(EVIL_BODY)  # text only (escaped where shown)


def test_case_page_renders_the_body_inert(client, people):
    case = _new_case(people["lead_a"], body=EVIL_BODY)
    services.publish_case(case, actor=people["lead_a"])
    db.session.commit()
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    body = html[html.index('class="case-body"'):html.index('id="linked"')]
    assert "<script" not in body and "<img" not in body and 'href="javascript' not in body
    assert "<div onclick" not in body
    assert all(not attr.startswith("on") for t in BeautifulSoup(body[body.index(">") + 1:],
               "html.parser").find_all(True) for attr in t.attrs)


# -- the service: publish, edit, withdraw, history ---------------------------------------------

def test_draft_publish_edit_withdraw_with_history(client, people):
    lead = people["lead_a"]
    case = _new_case(lead)
    assert case.status == "draft" and case.publisher_kind == "bureau"
    assert client.get(f"/cases/{case.id}").status_code == 404  # a draft is not public
    services.publish_case(case, actor=lead)
    db.session.commit()
    assert case.published_on is not None
    assert client.get(f"/cases/{case.id}").status_code == 200
    changes = services.update_case(case, _form(title="新标题", tags=["虚假宣传", "其他"]),
                                   actor=lead)
    db.session.commit()
    assert set(changes) >= {"title", "tags"}
    assert case.tag_list == ["其他", "虚假宣传"]
    with pytest.raises(services.ValidationError) as exc:
        services.withdraw_case(case, " ", actor=lead)
    assert "withdraw" in exc.value.errors
    services.withdraw_case(case, "案情表述有误", actor=lead)
    db.session.commit()
    resp = client.get(f"/cases/{case.id}")
    assert resp.status_code == 410 and "案情表述有误" in resp.get_data(as_text=True)
    assert "新标题" not in client.get("/cases/").get_data(as_text=True)
    actions = [e.action for e in services.history(case)]
    assert actions == ["created", "published", "edited", "withdrawn"]
    event = services.history(case)[0]
    event.reason = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_validation_errors(people):
    with pytest.raises(services.ValidationError) as exc:
        services.create_case(_form(title="", tags=["不存在的类型"], published_on="明天"),
                             actor=people["lead_a"], bureau=people["lead_a"].bureau)
    assert set(exc.value.errors) == {"title", "tags", "published_on"}
    db.session.rollback()
    with pytest.raises(services.ValidationError) as exc:
        services.create_case(_form(tags=[]), actor=people["lead_a"],
                             bureau=people["lead_a"].bureau)
    assert "tags" in exc.value.errors


# -- authorization ---------------------------------------------------------------------------

def test_who_may_publish_and_edit(people):
    from portal.auth import permissions as p

    a, b = bureau("140100"), bureau("140200")
    assert p.can_publish_case(people["lead_a"], a) and not p.can_publish_case(people["lead_a"], b)
    assert not p.can_publish_case(people["staff_a"], a)
    assert p.can_publish_case(people["admin"], a) and p.can_publish_case(people["admin"], b)
    assert p.can_publish_case(people["assoc"], a) and not p.can_publish_case(people["assoc"], b)
    bureau_case = _new_case(people["lead_a"])
    assoc_case = _new_case(people["assoc"], publisher_name="专利代理行业协会")
    assert assoc_case.publisher_kind == "association"
    assert p.can_edit_case(people["lead_a"], bureau_case)
    assert not p.can_edit_case(people["lead_a"], assoc_case)
    assert not p.can_edit_case(people["assoc"], bureau_case)
    assert p.can_edit_case(people["assoc"], assoc_case)
    assert not p.can_edit_case(people["lead_b"], bureau_case)
    assert p.can_edit_case(people["admin"], assoc_case) and p.can_edit_case(people["admin"],
                                                                              bureau_case)
    with pytest.raises(services.permissions.Forbidden):
        services.publish_case(bureau_case, actor=people["lead_b"])
    with pytest.raises(services.permissions.Forbidden):
        services.create_case(_form(), actor=people["staff_a"], bureau=people["staff_a"].bureau)


def test_staff_pages_check_on_the_server(app):
    # No request context around the requests: each client is its own signed-in user.
    with app.test_request_context():
        case = _new_case(_people()["lead_a"])
        case_id, title = case.id, case.title
    clients = {}
    for name in ("lead_a", "staff_a", "lead_b", "assoc", "admin"):
        clients[name] = app.test_client()
        login(clients[name], f"{name}@example.org")
    assert clients["staff_a"].get("/staff/cases/").status_code == 403
    assert clients["staff_a"].get("/staff/cases/new").status_code == 403
    assert clients["lead_b"].get("/staff/cases/new?bureau=140100").status_code == 403
    assert clients["lead_b"].get(f"/staff/cases/{case_id}").status_code == 403
    assert clients["lead_b"].post(f"/staff/cases/{case_id}/publish").status_code == 403
    assert clients["lead_b"].post(f"/staff/cases/{case_id}/withdraw",
                                  data={"reason": "x"}).status_code == 403
    assert clients["assoc"].get(f"/staff/cases/{case_id}").status_code == 403
    assert clients["admin"].get(f"/staff/cases/{case_id}").status_code == 200
    assert clients["lead_a"].get("/staff/cases/999999").status_code == 404
    # the association's publisher writes as the association, for its own bureau
    resp = clients["assoc"].get("/staff/cases/new")
    assert resp.status_code == 200 and "专利代理行业协会" in resp.get_data(as_text=True)
    assert title in clients["lead_a"].get("/staff/cases/").get_data(as_text=True)
    assert title not in clients["assoc"].get("/staff/cases/").get_data(as_text=True)
    resp = clients["assoc"].post("/staff/cases/new", data=_form(publisher_name="专利代理行业协会"))
    assert resp.status_code == 302
    # publish, then withdraw (a reason is needed: 422 without one)
    assert clients["lead_a"].post(f"/staff/cases/{case_id}/publish").status_code == 302
    resp = clients["lead_a"].post(f"/staff/cases/{case_id}/withdraw", data={"reason": " "})
    assert resp.status_code == 422 and "请填写撤回原因" in resp.get_data(as_text=True)
    assert clients["lead_a"].post(f"/staff/cases/{case_id}/withdraw",
                                  data={"reason": "案情有误"}).status_code == 302
    with app.app_context():
        assert db.session.get(TypicalCase, case_id).status == "withdrawn"
        kinds = dict(db.session.execute(select(TypicalCase.title, TypicalCase.publisher_kind)
                                        .where(TypicalCase.id != case_id)).all())
        assert kinds == {_form()["title"]: "association"}


def test_staff_form_round_trip(app):
    """A lead writes a case with a link in the form, saves it, edits it: the form shows the
    links as public addresses, and an edit appends to the history shown on the page."""
    with app.test_request_context():
        _people()
        penalty = make_penalty(make_agency())
        db.session.commit()
        number, url = penalty.decision_number, record_url(penalty)
    client = app.test_client()
    login(client, "lead_a@example.org")
    resp = client.post("/staff/cases/new", data=_form(links=number))
    assert resp.status_code == 302
    edit_url = resp.headers["Location"]
    doc = page(client, edit_url)
    assert doc.select_one("#case-links").get_text().strip() == url
    assert client.post(edit_url, data=_form(links=url, title="改过的标题")).status_code == 302
    doc = page(client, edit_url)
    assert doc.select_one("#case-title")["value"] == "改过的标题"
    assert [td.get_text(strip=True) for td in doc.select("#history ~ div td[data-label='操作']")
            ] == ["创建", "修改"]


# -- links ------------------------------------------------------------------------------------

def test_links_by_url_decision_number_and_uscc(client, people):
    agency, other = make_agency(), make_agency()
    penalty = make_penalty(agency)
    db.session.commit()
    lines = "\n".join([
        "http://portal.example" + record_url(penalty),  # a public URL, any host
        penalty.decision_number.replace("〔", "[").replace("〕", "]"),  # another spelling
        other.uscc.lower(),
        agency_url(agency),
    ])
    case = _new_case(people["lead_a"], links=lines)
    assert [(link.kind, link.record_id) for link in case.links] == [
        ("penalty", penalty.id), ("agency", other.id), ("agency", agency.id)]


def test_invalid_links_are_refused_with_a_clear_error(app, people):
    client = app.test_client()
    login(client, "lead_a@example.org")
    before = db.session.scalar(select(func.count()).select_from(TypicalCase))
    resp = client.post("/staff/cases/new", data={
        **_form(), "links": "随便写的\n91140105MA0000000X\nhttps://example.org/penalties/并罚〔1900〕1号\n"
                            "https://example.org/bureaus/"})
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert "随便写的" in text and "既不是公示页面地址" in text
    assert "没有统一社会信用代码为 91140105MA0000000X 的代理机构" in text
    assert "不是本平台代理机构或公示信息的页面地址" in text
    assert 'aria-invalid="true"' in text
    assert db.session.scalar(select(func.count()).select_from(TypicalCase)) == before


def test_a_withdrawn_record_cannot_be_linked(people):
    agency = make_agency()
    penalty = make_penalty(agency)
    register_services.withdraw_record(penalty, "决定被撤销", actor=None)
    db.session.commit()
    with pytest.raises(services.ValidationError) as exc:
        _new_case(people["lead_a"], links=penalty.decision_number)
    assert "已停止公示" in exc.value.errors["links"]


# -- public pages -----------------------------------------------------------------------------

def _published(people, links="", **changes) -> TypicalCase:
    case = _new_case(people["lead_a"], links=links, **changes)
    services.publish_case(case, actor=people["lead_a"])
    db.session.commit()
    return case


def test_list_detail_profile_and_record_pages(client, people):
    agency, bystander = make_agency(), make_agency()
    penalty, bystander_penalty = make_penalty(agency), make_penalty(bystander)
    other_penalty = make_penalty(agency)
    db.session.commit()
    case = _published(people, links=penalty.decision_number, title="批量代理非正常申请案")
    about_agency = _published(people, links=agency.uscc, title="关于机构本身的案例",
                              tags=["虚假宣传"])
    listing = page(client, "/cases/")
    titles = [h.get_text(strip=True) for h in listing.select(".case-list h2")]
    assert titles == ["关于机构本身的案例", "批量代理非正常申请案"]  # newest first (same day: id)
    filtered = page(client, "/cases/?tag=虚假宣传")
    assert [h.get_text(strip=True) for h in filtered.select(".case-list h2")] == ["关于机构本身的案例"]
    assert page(client, "/cases/?tag=nonsense").select(".case-list h2")  # unknown tag: all
    detail = page(client, f"/cases/{case.id}")
    assert detail.h1.get_text(strip=True) == "批量代理非正常申请案"
    links = [a["href"] for a in detail.select(".case-links a")]
    assert links == [record_url(penalty)]
    assert "<strong>批量</strong>" in str(detail.select_one(".case-body"))
    # the penalty's page and the agency's profile show it; the other record's page does not
    assert "批量代理非正常申请案" in page(client, record_url(penalty)).get_text()
    assert "批量代理非正常申请案" not in page(client, record_url(other_penalty)).get_text()
    profile = page(client, agency_url(agency)).select_one("#cases").find_next("ul").get_text()
    assert "批量代理非正常申请案" in profile and "关于机构本身的案例" in profile
    assert page(client, agency_url(bystander)).select_one("#cases") is None
    assert "批量代理非正常申请案" not in page(client, record_url(bystander_penalty)).get_text()
    # one query each
    assert [c.id for c in queries.cases_about_agency(agency)] == [about_agency.id, case.id]
    assert [c.id for c in queries.cases_about_record(penalty)] == [case.id]


def test_a_linked_record_no_longer_public_is_shown_without_details(client, people):
    agency = make_agency(name="太原停止公示测试知识产权代理有限公司")
    penalty = make_penalty(agency, party_name="太原停止公示测试知识产权代理有限公司")
    db.session.commit()
    case = _published(people, links=penalty.decision_number)
    register_services.withdraw_record(penalty, "决定被撤销", actor=None)
    db.session.commit()
    detail = page(client, f"/cases/{case.id}")
    linked = detail.select_one(".case-links").get_text()
    assert "已停止公示" in linked and "停止公示测试" not in linked
    assert not detail.select(".case-links a")
    # the profile no longer lists a case that is only about the withdrawn record
    assert page(client, agency_url(agency)).select_one("#cases") is None


def test_list_paging(client, people):
    from portal.timeutil import today

    for n in range(22):
        db.session.add(TypicalCase(title=f"案例{n:02d}", summary="摘要", body="正文",
                                   status="published", bureau=bureau("140100"),
                                   publisher_name="太原市市场监督管理局", published_on=today()))
    db.session.commit()
    first, second = page(client, "/cases/"), page(client, "/cases/?page=2")
    assert len(first.select(".case-list > li")) == 20
    assert len(second.select(".case-list > li")) == 2
    assert second.select_one('a[rel="prev"]') is not None


# -- search and feed --------------------------------------------------------------------------

def test_search_finds_published_cases_only(client, people):
    case = _published(people, title="挂名发明人专项案例", summary="为客户安排发明人挂名。")
    _new_case(people["lead_a"], title="草稿挂名案例")
    html = client.get("/search/?q=挂名").get_data(as_text=True)
    assert "发明人专项案例" in html and "草稿挂名案例" not in html
    assert f'href="/cases/{case.id}"' in html
    assert "典型案例" in html and "太原市市场监督管理局" in html
    flat = client.get("/search/?q=挂名&view=records&kind=case").get_data(as_text=True)
    assert "发明人专项案例" in flat
    api = client.get("/api/v1/search?q=挂名").get_json()
    hit = next(i for i in api["items"] if i["kind"] == "case")
    assert hit["api_url"] is None and hit["url"].endswith(f"/cases/{case.id}")
    assert "挂名发明人专项案例" in client.get("/api/v1/search.csv?q=挂名").get_data(as_text=True)
    services.withdraw_case(case, "撤回测试", actor=people["lead_a"])
    db.session.commit()
    assert "发明人专项案例" not in client.get("/search/?q=挂名").get_data(as_text=True)


def test_feed(client, people):
    case = _published(people, title="订阅源里的案例")
    _new_case(people["lead_a"], title="没发布的草稿")
    resp = client.get("/feeds/cases.atom")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    feed = feedparser.parse(resp.get_data())
    assert [e.title for e in feed.entries] == ["订阅源里的案例"]
    assert feed.entries[0].link.endswith(f"/cases/{case.id}")
    services.withdraw_case(case, "案情有误", actor=people["lead_a"])
    db.session.commit()
    feed = feedparser.parse(client.get("/feeds/cases.atom").get_data())
    assert feed.entries[0].title.startswith("已撤回") and "案情有误" in feed.entries[0].summary


def test_pages_are_shared_and_invalidated_by_a_publish(app, client, people):
    app.config["PAGE_CACHE_SECONDS"] = 60
    agency = make_agency()
    penalty = make_penalty(agency)
    db.session.commit()
    first = client.get(agency_url(agency))
    assert "public" in first.headers["Cache-Control"]
    assert client.get("/cases/").headers["Cache-Control"].startswith("public")
    _published(people, links=penalty.decision_number, title="缓存失效案例")
    assert "缓存失效案例" in client.get(agency_url(agency)).get_data(as_text=True)
    assert "缓存失效案例" in client.get("/cases/").get_data(as_text=True)


def test_demo_cases(app, people):
    from portal.cases.demo import build_demo_cases, clear_demo_cases
    from portal.timeutil import today

    agency = make_agency()
    for violation in ("代理非正常专利申请", "虚假宣传"):
        penalty = make_penalty(agency, violation_type=violation)
        penalty.is_demo = True
    db.session.commit()
    made = build_demo_cases(seed=1, anchor=today())
    db.session.commit()
    assert 6 <= made <= 10
    cases = list(db.session.scalars(select(TypicalCase)
                                    .where(TypicalCase.is_demo.is_(True))))
    assert all(c.is_public() and 1 <= len([x for x in c.links if x.kind == "penalty"]) <= 3
               for c in cases)
    assert {c.publisher_kind for c in cases} == {"bureau", "association"}
    again = [(c.title, [(x.kind, x.record_id) for x in c.links]) for c in cases]
    clear_demo_cases()
    assert db.session.scalar(select(func.count()).select_from(CaseLink)) == 0
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 0
    build_demo_cases(seed=1, anchor=today())
    cases = list(db.session.scalars(select(TypicalCase).order_by(TypicalCase.id)))
    assert [(c.title, [(x.kind, x.record_id) for x in c.links]) for c in cases] == again
