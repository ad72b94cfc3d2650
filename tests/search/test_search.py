"""Search behaviour on both engines: relevance, filters and facets, bad queries, consistency."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from portal import timeutil
from portal.extensions import db
from portal.register.models import Agency, CreditGrade, ListEntry, Penalty, SpotCheck
from search import service
from search.cli import check
from search.engines.base import Filters, SearchRequest
from search.text import ParsedQuery
from tests.factories import register as f
from tests.search.conftest import penalty_row

TODAY = dt.date(2026, 1, 15)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(timeutil, "today", lambda: TODAY)


def keys_for(q: str, **filters) -> list[str]:
    from search import get_engine, get_segmenter

    req = SearchRequest(query=ParsedQuery(q, get_segmenter()),
                        filters=Filters(today=20260115, **filters), limit=100)
    return get_engine().search(req).keys


def search_page(client, **args):
    resp = client.get("/search/", query_string=args)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def result_count(html: str) -> int:
    """Matching documents (records and agencies) the page reports, in either view."""
    m = re.search(r"共找到 (\d+) 条结果", html) or re.search(r"个结果（(\d+) 条信息）", html)
    return int(m.group(1)) if m else 0


@pytest.fixture
def register(app):
    """A small register: three agencies, records of every kind (in a request context)."""
    with app.test_request_context():
        yield _register()


def _register():
    jinyang = f.make_agency(name="太原市晋阳专利代理事务所（普通合伙）", licence_no="14001",
                            former_names=["太原晋阳知识产权代理有限公司"])
    jinyang_branch = f.make_agency(name="晋阳专利代理事务所太原分所", division_code="140106")
    pujiang = f.make_agency(name="上海浦江专利代理有限公司", division_code="310115", kind="both")
    penalty_row(jinyang, facts="经查，该机构专利代理师未落实签名责任制，且代理非正常专利申请12件。",
                  kinds="警告、罚款", violation_type="代理师未落实签名责任制",
                  decision_number="并市监处罚〔2025〕7号", decided_on=dt.date(2025, 5, 20))
    penalty_row(pujiang, facts="该机构以不正当手段招揽业务，签名混乱，责任不清，未建立制度。",
                  kinds="通报批评", decided_on=dt.date(2024, 11, 2))
    penalty_row(None, party_name="某无资质代理个人", facts="无资质专利代理，承接专利申请代理业务。",
                  kinds="罚款、没收违法所得", decided_on=dt.date(2025, 8, 8))
    f.spot_check_row(jinyang, result="代理师未落实签名责任制", completed_on=dt.date(2025, 4, 1))
    f.spot_check_row(pujiang, result="未发现问题", completed_on=dt.date(2025, 9, 1))
    f.credit_grade_row(jinyang, "B")
    f.credit_grade_row(pujiang, "A+")
    f.credit_grade_row(jinyang_branch, "A")
    f.list_entry_row(pujiang)
    f.list_entry_row(jinyang, removed_on=dt.date(2025, 6, 1), included_on=dt.date(2024, 4, 1))
    db.session.commit()
    return {"jinyang": jinyang, "branch": jinyang_branch, "pujiang": pujiang}


# -- relevance -------------------------------------------------------------------


def first_groups(q: str, **args) -> list[str]:
    page = service.run_search(service.parse_params(_args(q=q, **args)))
    return [r.group for r in page.results]


def test_exact_name_comes_first(register):
    assert first_groups("晋阳专利代理事务所太原分所")[0] == f"a{register['branch'].id}"
    assert first_groups("太原市晋阳专利代理事务所（普通合伙）")[0] == f"a{register['jinyang'].id}"


def test_former_name_finds_the_agency_and_its_records(register):
    assert first_groups("太原晋阳知识产权代理有限公司")[0] == f"a{register['jinyang'].id}"
    keys = keys_for("太原晋阳知识产权代理有限公司")
    assert any(k.startswith("penalty:") for k in keys)


def test_partial_word_finds_longer_name(register):
    # 专利代理 is inside 专利代理事务所 (search-mode segmentation / bigrams).
    assert f"agency:{register['pujiang'].id}" in keys_for("浦江专利代理")
    assert f"agency:{register['jinyang'].id}" in keys_for("专利代理")


def test_full_and_half_width_match(register):
    a = keys_for("晋阳(普通合伙)")
    b = keys_for("晋阳（普通合伙）")
    assert a == b and f"agency:{register['jinyang'].id}" in a


def test_phrase_beats_scattered_words(register):
    keys = keys_for("签名 责任", kinds=("penalty",))
    assert len(keys) == 2
    # the jinyang penalty has 签名责任制 as one phrase; pujiang's has the words apart
    assert keys[0].startswith("penalty:") and "签名责任制" in db.session.get(
        Penalty, int(keys[0].split(":")[1])).facts


def test_quoted_phrase_matches_only_exact_sequence(register):
    keys = keys_for('"未落实签名责任制"')
    kinds = sorted(k.split(":")[0] for k in keys)
    assert kinds == ["penalty", "spot_check"]
    assert keys_for('"签名责任制未落实"') == []
    # domain phrase spanning words that jieba splits
    assert len(keys_for('"代理师未落实签名"')) == 2


def test_quoted_dictionary_word_finds_it_inside_longer_words(register):
    # 专利代理 sits inside 专利代理事务所 / 专利代理师 / 无资质专利代理: all found.
    keys = set(keys_for('"专利代理"'))
    assert {f"agency:{register[n].id}" for n in ("jinyang", "branch", "pujiang")} <= keys
    # 签名 inside 签名责任制 (one word to jieba) and on its own in 签名混乱
    assert sorted(k.split(":")[0] for k in keys_for('"签名"')) == ["penalty", "penalty",
                                                                  "spot_check"]
    # a dictionary word as a phrase finds what the same text as bigrams finds
    assert set(keys_for('"签名责任制"')) == set(keys_for('"名责任"'))
    assert len(keys_for('"签名责任制"')) == 2


def test_identifiers_redirect(register, client, monkeypatch):
    monkeypatch.setattr(service, "url_of", lambda obj: f"/x/{type(obj).__name__}/{obj.id}")
    jinyang = register["jinyang"]
    for typed in (jinyang.uscc, jinyang.uscc.lower(), f" {jinyang.licence_no} "):
        resp = client.get("/search/", query_string={"q": typed})
        assert resp.status_code == 303
        assert resp.headers["Location"].endswith(f"/x/Agency/{jinyang.id}")
    penalty = db.session.scalar(sa.select(Penalty).where(Penalty.agency_id == jinyang.id))
    for typed in ("并市监处罚〔2025〕7号", "并市监处罚[2025]7号", "并市监处罚（2025）7号"):
        resp = client.get("/search/", query_string={"q": typed})
        assert resp.status_code == 303, typed
        assert resp.headers["Location"].endswith(f"/x/Penalty/{penalty.id}")
    # htmx asks the browser to navigate
    resp = client.get("/search/", query_string={"q": jinyang.uscc}, headers={"HX-Request": "1"})
    assert resp.headers["HX-Redirect"].endswith(f"/x/Agency/{jinyang.id}")


def test_withdrawn_penalty_number_does_not_redirect(register, client, monkeypatch):
    monkeypatch.setattr(service, "url_of", lambda obj: "/somewhere")
    p = db.session.scalar(sa.select(Penalty).where(Penalty.decision_number == "并市监处罚〔2025〕7号"))
    p.status = "withdrawn"
    db.session.commit()
    resp = client.get("/search/", query_string={"q": "并市监处罚〔2025〕7号"})
    assert resp.status_code == 200
    assert result_count(resp.get_data(as_text=True)) == 0


# -- filters and facets against the database ----------------------------------------


def _db_count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_each_kind_filter_and_facet_matches_database(register, client):
    html = search_page(client)
    assert result_count(html) == 3 + 3 + 2 + 3 + 2  # everything public
    expected = {
        "agency": _db_count(Agency),
        "penalty": _db_count(Penalty, Penalty.public_filter(TODAY)),
        "spot_check": _db_count(SpotCheck, SpotCheck.public_filter(TODAY)),
        "credit_grade": _db_count(CreditGrade, CreditGrade.public_filter(TODAY)),
        "list_entry": _db_count(ListEntry, ListEntry.public_filter(TODAY)),
    }
    page = service.run_search(service.parse_params(_args()))
    assert {v.value: v.count for v in page.facets["kind"]} == expected
    for kind, count in expected.items():
        assert result_count(search_page(client, kind=kind)) == count
        # the kind facet is disjunctive: selecting one kind still counts the others
        page = service.run_search(service.parse_params(_args(kind=kind)))
        assert {v.value: v.count for v in page.facets["kind"]} == expected


def test_counts_follow_every_commit(register):
    """Facet, group and per kind counts are remembered per index commit: asked again they
    are the same, and the next publish or withdrawal shows in them at once."""

    def counts():
        page = service.run_search(service.parse_params(_args(q="签名")))
        kinds = {v.value: v.count for v in page.facets["kind"]}
        return kinds.get("penalty", 0), page.total

    before = counts()
    assert counts() == before  # asked again: the same answer
    p = penalty_row(register["branch"], facts="该所代理师未在申请文件上签名。")
    db.session.commit()
    assert counts() == (before[0] + 1, before[1] + 1)  # one more penalty, one more agency
    p.status = "withdrawn"
    db.session.commit()
    assert counts() == before


def _args(**kw):
    from werkzeug.datastructures import MultiDict

    return MultiDict(kw)


def test_region_filter_at_every_level(register, client):
    jin_agencies = _db_count(Agency, Agency.division_code.like("14%"))
    page = service.run_search(service.parse_params(_args(kind="agency")))
    regions = {v.value: v.count for v in page.facets["region"]}
    assert regions == {"140000": jin_agencies, "310000": 1}
    for code, expected in (("140000", 2), ("140100", 2), ("140105", 1), ("140106", 1),
                           ("310115", 1)):
        page = service.run_search(service.parse_params(_args(kind="agency", region=code)))
        assert page.total == expected, code
    page = service.run_search(service.parse_params(_args(kind="agency", region="140100")))
    assert {v.value: v.count for v in page.facets["region"]} == {"140105": 1, "140106": 1}


def test_grade_penalty_kind_active_and_date_filters(register):
    def total(**kw):
        return service.run_search(service.parse_params(_args(**kw))).total

    assert total(grade="A+") == _db_count(CreditGrade, CreditGrade.grade == "A+") == 1
    page = service.run_search(service.parse_params(_args(grade="B")))
    assert {v.value: v.count for v in page.facets["grade"]} == {"A+": 1, "A": 1, "B": 1}
    fines = _db_count(Penalty, Penalty.penalty_kinds.like("%罚款%"))
    assert total(penalty_kind="罚款") == fines == 2
    page = service.run_search(service.parse_params(_args(kind="penalty")))
    assert {v.value: v.count for v in page.facets["penalty_kind"]} == {
        "警告": 1, "罚款": 2, "通报批评": 1, "没收违法所得": 1}
    assert total(active="1") == _db_count(ListEntry, ListEntry.removed_on.is_(None)) == 1
    assert total(kind="penalty", date_from="2025-01-01", date_to="2025-12-31") == _db_count(
        Penalty, Penalty.decided_on.between(dt.date(2025, 1, 1), dt.date(2025, 12, 31))) == 2
    # reversed dates are swapped, not an error
    assert total(kind="penalty", date_from="2025-12-31", date_to="2025-01-01") == 2


def test_sort_by_date_and_pagination(register, client):
    page = service.run_search(service.parse_params(_args(kind="penalty", sort="date")))
    dates = [h.date for h in page.hits]
    assert dates == sorted(dates, reverse=True)
    for i in range(25):
        f.spot_check_row(register["pujiang"], task_number=f"P-{i}", remarks=f"分页测试{i}")
    db.session.commit()
    p1 = service.run_search(service.parse_params(_args(q="分页测试", view="records")))
    p2 = service.run_search(service.parse_params(_args(q="分页测试", page="2", view="records")))
    assert p1.total == 25 and p1.pages == 2
    assert len(p1.hits) == 20 and len(p2.hits) == 5
    assert not {h.obj.id for h in p1.hits} & {h.obj.id for h in p2.hits}
    html = search_page(client, q="分页测试", view="records")
    assert 'rel="next"' in html
    # grouped: the 25 spot checks are one result, the agency's, with a link to all of them
    grouped = service.run_search(service.parse_params(_args(q="分页测试")))
    assert grouped.total == 1 and grouped.total_records == 25
    assert grouped.results[0].group == f"a{register['pujiang'].id}"
    assert grouped.results[0].matched == 25 and "group=a" in grouped.results[0].all_url


# -- bad input ------------------------------------------------------------------

BAD_QUERIES = [
    '"', '"""', '"专利', '专利"', "AND", "OR", "NOT", "+", "-", "*", "?", "~", "^2", ":",
    "name:专利", "(", ")", "[", "]", "{", "}", "\\", "/", "'", "' OR 1=1 --",
    "'; DROP TABLE agency; --", "专利" * 500, "😀", "👨‍👩‍👧 专利", "\x00\x01\x1f", "\u202e专利",
    "<script>alert(1)</script>", "%", "_", "%%_", "a" * 1000, " ", "　", "*:*", "title:(a OR b)",
    "专利 AND OR NOT", "NEAR/3", '"" ""', "“”", "「专利」", "　专利　代理　",
]


@pytest.mark.parametrize("q", BAD_QUERIES)
def test_bad_queries_get_a_normal_answer(register, client, q):
    resp = client.get("/search/", query_string={"q": q, "region": "x' OR 1", "date_from": "2025-13-45",
                                                 "page": "-3", "sort": "evil", "kind": "nope"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    resp = client.get("/search/", query_string={"q": q}, headers={"HX-Request": "1"})
    assert resp.status_code == 200
    assert client.get("/search/suggest", query_string={"q": q}).status_code == 200


def test_invalid_filters_are_explained(register, client):
    html = search_page(client, date_from="2025-13-45", region="abc")
    assert "日期格式" in html and "地区代码" in html
    html = search_page(client, q="专" * 300)
    assert "搜索词过长" in html


def test_no_results_page_helps(register, client):
    html = search_page(client, q="完全不存在的名称词汇")
    assert "没有找到符合条件的结果" in html and "曾用名" in html


# -- the page -------------------------------------------------------------------------


def test_page_and_fragment(register, client):
    full = search_page(client, q="签名责任制")
    assert "<form" in full and 'id="search-results"' in full and "<mark>" in full
    assert 'hx-get="/search/"' in full and 'hx-push-url="true"' in full
    assert 'aria-live="polite"' in full
    resp = client.get("/search/", query_string={"q": "签名责任制"}, headers={"HX-Request": "1"})
    frag = resp.get_data(as_text=True)
    assert "<html" not in frag and 'id="search-results"' in frag and 'hx-swap-oob="true"' in frag
    assert "HX-Request" in resp.headers["Vary"]


def test_suggest(register, client):
    names = [a.name for a in service.suggest_agencies("晋阳")]
    assert set(names) == {register["jinyang"].name, register["branch"].name}
    assert [a.name for a in service.suggest_agencies("知识产权代理")] == [register["jinyang"].name]
    assert service.suggest_agencies(register["pujiang"].uscc[:17])[0].id == register["pujiang"].id
    assert [a.name for a in service.suggest_agencies("浦")] == [register["pujiang"].name]
    assert service.suggest_agencies("") == []
    data = client.get("/search/suggest", query_string={"q": "浦江"}).get_json()
    assert data["agencies"][0]["uscc"] == register["pujiang"].uscc


# -- consistency ------------------------------------------------------------------------


def test_publish_edit_withdraw_and_rollback(register):
    ag = register["pujiang"]
    p = penalty_row(ag, facts="新发布的处罚涉及虚构的测试词汇甲乙丙丁。")
    db.session.commit()
    assert keys_for("甲乙丙丁") == [f"penalty:{p.id}"]
    p.facts = "修改后的事实戊己庚辛。"
    db.session.commit()
    assert keys_for("甲乙丙丁") == [] and keys_for("戊己庚辛") == [f"penalty:{p.id}"]
    p.status = "withdrawn"
    db.session.commit()
    assert keys_for("戊己庚辛") == []
    # a rolled-back publication never reaches the index
    penalty_row(ag, facts="回滚的处罚壬癸子丑。")
    db.session.flush()
    db.session.rollback()
    assert keys_for("壬癸子丑") == []
    assert not any(check().values())


def test_savepoint_rollback_keeps_outer_changes(register):
    p = penalty_row(register["pujiang"], facts="外层事务寅卯辰巳。")
    db.session.flush()
    with db.session.begin_nested():
        penalty_row(register["pujiang"], facts="内层午未申酉。")
        db.session.flush()
    nested = db.session.begin_nested()
    penalty_row(register["pujiang"], facts="内层回滚戌亥。")
    db.session.flush()
    nested.rollback()
    db.session.commit()
    assert keys_for("寅卯辰巳") == [f"penalty:{p.id}"]
    assert keys_for("戌亥") == []


def test_window_expiry_needs_no_reindex(register, monkeypatch):
    p = penalty_row(register["pujiang"], facts="公示期测试词语甲子乙丑。",
                      publication_ends_on=dt.date(2026, 3, 31))
    db.session.commit()
    assert keys_for("甲子乙丑") == [f"penalty:{p.id}"]
    for day, visible in ((dt.date(2026, 3, 31), True), (dt.date(2026, 4, 1), False)):
        monkeypatch.setattr(timeutil, "today", lambda day=day: day)
        page = service.run_search(service.parse_params(_args(q="甲子乙丑")))
        assert (page.total == 1) is visible
    # a record scheduled for later is not shown yet
    monkeypatch.setattr(timeutil, "today", lambda: dt.date(2025, 5, 31))
    assert service.run_search(service.parse_params(_args(q="甲子乙丑"))).total == 0


def test_agency_rename_reindexes_its_records(register):
    ag = register["pujiang"]
    ag.name = "上海新名字专利代理有限公司"
    db.session.commit()
    keys = keys_for("新名字")
    assert f"agency:{ag.id}" in keys
    assert any(k.startswith("penalty:") for k in keys)
    assert any(k.startswith("list_entry:") for k in keys)
    assert not any(check().values())


def test_check_reports_drift_and_rebuild_repairs_it(register, runner):
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    # a bulk Core insert bypasses the hooks
    db.session.execute(sa.insert(SpotCheck).values(
        agency_id=register["pujiang"].id, task_number="BULK-1", task_name="批量导入的抽查",
        check_type="专项检查", completed_on=dt.date(2025, 1, 1), result="未发现问题",
        authority="上海市市场监督管理局", published_on=dt.date(2025, 1, 2), status="published"))
    db.session.commit()
    db.session.execute(sa.update(Agency).where(Agency.id == register["branch"].id)
                       .values(address="悄悄改掉的地址"))
    db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "missing: 1" in result.output and "stale: 1" in result.output
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert len(keys_for("批量导入的抽查")) == 1


def test_parallel_analysis_gives_the_same_documents(register):
    from sqlalchemy.orm import Session

    from search import get_segmenter
    from search.cli import analysed_documents, analysis_pool

    seg = get_segmenter()
    with Session(db.engine) as session, analysis_pool(session, processes=1) as pool:
        assert pool is None
        serial = list(analysed_documents(session, seg, pool))
    with Session(db.engine) as session, analysis_pool(session, processes=2) as pool:
        parallel = list(analysed_documents(session, seg, pool))
    assert len(serial) == 13
    assert parallel == serial


def test_every_reader_builds_the_same_documents(register):
    """A rebuild (ranges read in workers), ``search check`` (one pass) and the change
    log's catch-up (keys) build the same document of a row: the same agency names, in
    the same order, even for former names dropped on the same day."""
    from sqlalchemy.orm import Session

    from portal.register.models import AgencyFormerName, Agent
    from search.documents import (
        AgencyNames,
        RegionResolver,
        document_ranges,
        iter_documents,
        load_documents,
        range_documents,
    )

    agency = register["pujiang"]
    for name in ("浦江旧名乙知识产权代理有限公司", "浦江旧名甲专利代理有限公司"):
        db.session.add(AgencyFormerName(agency_id=agency.id, name=name, until=None))
    db.session.add(Agent(certificate_no="3101234567.8", name="示例代理师", agency_id=agency.id,
                         status="practising", certified_on=dt.date(2020, 5, 6)))
    db.session.commit()
    with Session(db.engine) as session:
        whole = {d["key"]: d for d in iter_documents(session)}
        regions, agencies = RegionResolver(session), AgencyNames(session)
        ranged = {d["key"]: d for where in document_ranges(session, 3)
                  for d in range_documents(session, where, regions, agencies)}
        by_key = load_documents(session, list(whole))
    assert ranged == whole == by_key
    # Rebuild and check read most kinds as plain rows, catch-up as ORM objects: every
    # kind is here, so both ways are compared.
    assert {d["kind"] for d in whole.values()} >= {
        "agency", "spot_check", "penalty", "credit_grade", "list_entry", "agent"}
    ids = [f.id for f in db.session.get(Agency, agency.id).former_names]
    assert ids == sorted(ids)
    mine = [d for d in whole.values() if d["agency_id"] == agency.id]
    assert len(mine) > 1
    assert all(d["former"] == ["浦江旧名乙知识产权代理有限公司", "浦江旧名甲专利代理有限公司"]
               for d in mine)


def _killed_worker(*args):
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_rebuild_fails_clearly_when_a_worker_dies(register, runner, monkeypatch):
    """A worker killed mid-rebuild (e.g. for memory) stops the rebuild with a clear error,
    instead of waiting for it forever; the index in use keeps answering, unchanged."""
    import os

    from search import cli, get_engine

    engine = get_engine()
    served = engine.current_generation()
    before = keys_for("签名")
    assert before

    monkeypatch.setattr(cli, "_analyse_range", _killed_worker)  # inherited by the forked workers
    monkeypatch.setattr(cli, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(cli, "CHUNK", 2)
    monkeypatch.setattr(cli, "CHUNK_TIMEOUT", 60)  # a hang becomes a failure, not a stuck run
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 1
    assert "rebuild failed: an analysis worker process died" in result.output
    assert engine.current_generation() == served
    assert sorted(e for e in os.listdir(engine.root) if e.startswith("gen-")) == [served]
    assert keys_for("签名") == before


def test_indexing_failure_never_fails_the_commit(register, monkeypatch, caplog):
    from search import get_engine

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(get_engine(), "write", boom)
    p = penalty_row(register["pujiang"], facts="写索引失败也要提交成功。")
    db.session.commit()
    assert db.session.get(Penalty, p.id) is not None
    assert "indexing" in caplog.text
    monkeypatch.undo()
    monkeypatch.setattr(timeutil, "today", lambda: TODAY)
    assert check()["missing"] == [f"penalty:{p.id}"]


def test_index_of_an_older_schema_answers_empty_until_rebuilt(register, client, runner,
                                                               engine_name, caplog):
    if engine_name != "tantivy":
        pytest.skip("tantivy keeps its schema in the index")
    import os

    import tantivy

    from search import get_engine

    engine = get_engine()
    old = engine.gen_path("gen-0-old")
    os.makedirs(old)
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", stored=True)
    tantivy.Index(sb.build(), path=old)
    engine._point_to("gen-0-old")
    for _ in range(3):  # a normal page, every time; the failure is logged once
        html = search_page(client, q="晋阳")
        assert result_count(html) == 0
    assert caplog.text.count("portal search rebuild") == 1
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0
    assert result_count(search_page(client, q="晋阳")) > 0


def test_engine_none(app_config, tmp_path):
    from portal import create_app

    app = create_app({**app_config, "SEARCH_ENGINE": "none"})
    with app.app_context():
        db.create_all()
        html = app.test_client().get("/search/?q=专利").get_data(as_text=True)
        assert "搜索功能暂未启用" in html


def test_records_published_by_the_services_and_the_importer_are_searchable(app):
    """The register writes new records with bulk Core INSERTs (no ORM flush): the index must
    still follow every commit — a record published through the staff form's service, and
    rows of an imported file."""
    import io

    from portal.register import services
    from portal.register.importer import apply_import, plan_import

    with app.test_request_context():
        agency = f.make_agency(name="太原索引测试知识产权代理有限公司", division_code="140105")
        penalty = f.make_penalty(agency, facts="经查，当事人以索引测试方式招揽业务。",
                                 decided_on=dt.date(2025, 12, 1), published_on=dt.date(2025, 12, 2))
        db.session.commit()
        assert f"penalty:{penalty.id}" in keys_for("索引测试")
        header = "任务编号,任务名称,检查类型,统一社会信用代码,检查完成日期,检查结果,检查实施机关\n"
        row = f"T-IDX-1,导入索引核对抽查,不定向抽查,{agency.uscc},2026-01-05,未发现问题,太原市市场监督管理局\n"
        plan = plan_import("spot_check", io.BytesIO((header + row).encode()), "s.csv")
        assert plan.ok, plan.errors
        apply_import(plan)
        db.session.commit()
        check_id = db.session.scalar(sa.select(SpotCheck.id).where(SpotCheck.task_number == "T-IDX-1"))
        assert f"spot_check:{check_id}" in keys_for("导入索引核对")
        services.withdraw_record(penalty, "测试撤回")
        db.session.commit()
        assert f"penalty:{penalty.id}" not in keys_for("索引测试")
