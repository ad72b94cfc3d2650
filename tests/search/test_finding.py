"""Search answers the question people ask (issue 10), on both engines.

The agency first when its name is typed (with or without the legal form, brackets of either
width, its former name); one result per agency; found by pinyin, initials, a one-character typo
or an everyday word (synonyms); a USCC with a wrong check character is explained; expired and
withdrawn records never come back through any of these paths.
"""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from portal import timeutil
from portal.extensions import db
from search import service
from search.names import identity_key, pinyin_terms, uscc_problem
from search.synonyms import parse
from tests.factories import register as f
from tests.search.conftest import penalty_row

TODAY = dt.date(2026, 1, 15)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(timeutil, "today", lambda: TODAY)


@pytest.fixture
def reg(app):
    with app.test_request_context():
        yield _register()


def _register():
    huaxin = f.make_agency(name="太原市华信专利代理事务所（普通合伙）")
    twin = f.make_agency(name="太原华信知识产权代理有限公司", division_code="140106")
    # the twin has many records that carry its (similar) name and score well on the query's words
    for i in range(6):
        penalty_row(twin, facts=f"太原华信知识产权代理有限公司华信专利代理事务所相关违法行为第{i}件。",
                    kinds="警告")
    for i in range(3):
        penalty_row(huaxin, facts=f"该机构专利代理师未落实签名责任制（第{i}次）。", kinds="罚款")
    f.spot_check_row(huaxin, result="代理师未落实签名责任制")
    yungang = f.make_agency(name="大同市云冈专利代理事务所(普通合伙)", division_code="140213")
    jinshang_ty = f.make_agency(name="晋商知识产权代理有限公司", division_code="140105")
    jinshang_dt = f.make_agency(name="晋商知识产权代理有限公司", division_code="140213")
    zexin = f.make_agency(name="山西泽信专利代理有限公司", former_names=["太原泽信商标代理有限公司"])
    chuangfu = f.make_agency(name="太原市创富知识产权代理有限公司")
    penalty_row(None, party_name="某未登记代理人", facts="无资质专利代理，承接专利申请代理业务。",
                kinds="罚款")
    penalty_row(chuangfu, facts="公示期已满的处罚独有词语甲乙。",
                publication_ends_on=dt.date(2025, 12, 31))
    penalty_row(chuangfu, facts="已撤回的处罚独有词语丙丁。", status="withdrawn")
    db.session.commit()
    return {"huaxin": huaxin, "twin": twin, "yungang": yungang, "jinshang_ty": jinshang_ty,
            "jinshang_dt": jinshang_dt, "zexin": zexin, "chuangfu": chuangfu}


def page_for(q: str, **args):
    return service.run_search(service.parse_params(MultiDict({"q": q, **args})))


def groups(q: str, **args) -> list[str]:
    return [r.group for r in page_for(q, **args).results]


def g(agency) -> str:
    return f"a{agency.id}"


# -- names: the pure functions ---------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("太原市华信专利代理事务所（普通合伙）", "太原市华信专利代理事务所"),
    ("太原市华信专利代理事务所(普通合伙)", "太原市华信专利代理事务所（普通合伙）"),
    ("上海浦江专利代理有限公司", "上海浦江专利代理"),
    ("北京 某某 专利代理有限责任公司", "北京某某专利代理"),
    ("某某（特殊普通合伙）", "某某"),
])
def test_identity_key_ignores_legal_form_brackets_and_spaces(a, b):
    assert identity_key(a) == identity_key(b)


def test_identity_key_keeps_what_tells_twins_apart():
    assert identity_key("太原市华信专利代理事务所") != identity_key("太原华信知识产权代理有限公司")
    assert identity_key("普通合伙") == "普通合伙"  # a name that is only a legal form stays


def test_pinyin_terms_hold_syllable_runs_and_initials():
    terms = pinyin_terms(["山西泽信专利代理有限公司"])
    assert {"zexin", "shanxizexin", "sxzx", "zx", "zhuanli"} <= set(terms)
    assert "youxian" not in terms  # the legal form is not part of the name's sound


def test_uscc_problem_names_the_right_check_character():
    good = f.make_uscc()
    assert uscc_problem(good) is None
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert uscc_problem(wrong) == (wrong, good)
    assert uscc_problem("太原华信") is None and uscc_problem("14001") is None


def test_synonym_file_parsing_reports_bad_rows():
    syn = parse(["term,means", "# a comment", "黑代理,无资质专利代理|无资质代理", "坏行", ",x"])
    assert syn.table == {"黑代理": ["无资质专利代理", "无资质代理"]}
    assert len(syn.problems) == 2
    assert syn.expand("找黑代理") == [("黑代理", ["无资质专利代理", "无资质代理"])]


# -- identity first ----------------------------------------------------------------------


def test_exact_name_ranks_the_agency_first_whatever_its_records_score(reg):
    assert groups("太原市华信专利代理事务所（普通合伙）")[0] == g(reg["huaxin"])
    assert groups("太原华信知识产权代理有限公司")[0] == g(reg["twin"])


def test_name_without_legal_form_beats_a_near_twin(reg):
    found = groups("太原市华信专利代理事务所")
    assert found[0] == g(reg["huaxin"])
    assert g(reg["twin"]) in found  # the twin is still there, after it
    first = page_for("太原市华信专利代理事务所").results[0]
    assert first.tier == 0 and "名称一致" in first.badges


def test_brackets_of_either_width(reg):
    assert groups("大同市云冈专利代理事务所（普通合伙）")[0] == g(reg["yungang"])
    assert groups("大同市云冈专利代理事务所 (普通合伙)")[0] == g(reg["yungang"])


def test_former_name_ranks_the_agency_first(reg):
    page = page_for("太原泽信商标代理有限公司")
    assert page.results[0].group == g(reg["zexin"])
    assert "曾用名一致" in page.results[0].badges


def test_identity_holds_under_filters(reg):
    # only penalties: the agency's group still comes first, shown with its penalties
    page = page_for("太原市华信专利代理事务所", kind="penalty")
    assert page.results[0].group == g(reg["huaxin"])
    assert page.results[0].counts == ["3 条行政处罚"]


# -- one result per agency -----------------------------------------------------------------


def test_one_result_per_agency_with_counts_badges_and_show_all(reg):
    page = page_for("签名责任制")
    assert [r.group for r in page.results] == [g(reg["huaxin"])]
    r = page.results[0]
    assert r.counts == ["1 条抽查结果", "3 条行政处罚"]
    assert r.matched == 4 and page.total == 1 and page.total_records == 4
    assert any("签名责任制" in b for b in r.badges)
    assert "签名责任制" in str(r.best.snippet)
    assert "group=a" in r.all_url and "view=records" in r.all_url
    # "show all": the flat list of that agency's matching records
    flat = page_for("签名责任制", group=g(reg["huaxin"]))
    assert flat.params.view == "records" and flat.total == 4
    assert {h.kind for h in flat.hits} == {"penalty", "spot_check"}
    # and the flat view of everything stays available
    assert page_for("签名责任制", view="records").total == 4


def test_same_name_in_two_cities_are_two_results_told_apart(reg, client):
    page = page_for("晋商知识产权代理有限公司")
    assert {r.group for r in page.results[:2]} == {g(reg["jinshang_ty"]), g(reg["jinshang_dt"])}
    places = {r.group: r.facts[1] for r in page.results[:2]}
    assert "太原市" in places[g(reg["jinshang_ty"])] and "大同市" in places[g(reg["jinshang_dt"])]
    html = client.get("/search/", query_string={"q": "晋商知识产权代理有限公司"}).get_data(True)
    assert reg["jinshang_ty"].uscc in html and reg["jinshang_dt"].uscc in html


def test_unregistered_party_is_its_own_result(reg):
    page = page_for("某未登记代理人")
    assert page.results[0].agency is None and page.results[0].hit.kind == "penalty"


# -- found however it is typed --------------------------------------------------------------


@pytest.mark.parametrize("q", ["zexin", "ZeXin", "shanxi zexin", "sxzx"])
def test_pinyin_and_initials(reg, q):
    assert groups(q)[0] == g(reg["zexin"])


def test_pinyin_of_a_former_name(reg):
    assert g(reg["zexin"]) in groups("taiyuan zexin")


@pytest.mark.parametrize("q", ["太原市创福知识产权代理有限公司", "创福知识产权", "太原创福"])
def test_one_character_typo_finds_the_name(reg, q):
    page = page_for(q)
    assert g(reg["chuangfu"]) in [r.group for r in page.results]
    hit = next(r for r in page.results if r.group == g(reg["chuangfu"]))
    assert hit.tier == 2 and "名称相近" in hit.badges
    assert reg["chuangfu"] in page.did_you_mean


def test_short_queries_get_no_edit_distance_matches(reg):
    # 3 characters, not a homophone of any name: no fuzzy guess
    assert g(reg["chuangfu"]) not in groups("创富区")


def test_did_you_mean_on_the_page(reg, client):
    html = client.get("/search/", query_string={"q": "创福知识产权"}).get_data(True)
    assert "您是不是要找" in html and "太原市创富知识产权代理有限公司" in html


@pytest.mark.parametrize("q", ["黑代理", "没有资质的专利代理", "无证代理"])
def test_synonyms_find_the_official_term(reg, q):
    page = page_for(q)
    assert page.results and page.results[0].hit.kind == "penalty"
    assert "无资质专利代理" in str(page.results[0].hit.snippet)


def test_synonyms_file_is_reread_when_it_changes(reg, app, tmp_path):
    path = tmp_path / "syn.csv"
    path.write_text("term,means\n", "utf-8")
    app.config["SEARCH_SYNONYMS"] = str(path)
    app.extensions.pop("search_synonyms", None)
    assert page_for("野鸡代理").total == 0
    path.write_text("term,means\n野鸡代理,无资质专利代理\n", "utf-8")
    import os

    os.utime(path, ns=(1, 10**18))  # a new modification time, whatever the clock's resolution
    assert page_for("野鸡代理").total == 1


def test_uscc_with_wrong_check_character(reg, client):
    good = reg["zexin"].uscc
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    page = page_for(wrong)
    assert page.uscc_notice == (wrong, good)
    assert page.uscc_matches == [reg["zexin"]]
    html = client.get("/search/", query_string={"q": wrong}).get_data(True)
    assert "校验码" in html and reg["zexin"].name in html


def test_uscc_one_character_off_elsewhere_offers_the_nearest_valid(reg):
    good = reg["chuangfu"].uscc
    # change a character in the middle and recompute nothing: the check character is now wrong
    i = 12
    other = "1" if good[i] != "1" else "2"
    typed = good[:i] + other + good[i + 1:]
    assert uscc_problem(typed) is not None
    page = page_for(typed)
    assert reg["chuangfu"] in page.uscc_matches


# -- never returned: expired and withdrawn records ------------------------------------------


def test_expired_and_withdrawn_records_never_come_back(reg):
    for q in ("公示期已满的处罚独有词语甲乙", "已撤回的处罚独有词语丙丁"):
        assert page_for(q).total == 0
        assert page_for(q, view="records").total == 0
    page = page_for("太原市创富知识产权代理有限公司")
    assert page.results[0].group == g(reg["chuangfu"])
    assert page.results[0].counts == [] and page.total_records == 1  # the agency alone


# -- suggestions as you type ----------------------------------------------------------------


def test_suggest_fragment_is_a_listbox_of_options(reg, client):
    resp = client.get("/search/suggest", query_string={"q": "zexin", "listbox": "home-q-list"},
                      headers={"HX-Request": "true"})
    html = resp.get_data(True)
    assert 'role="option"' in html and 'id="home-q-list-1"' in html
    assert reg["zexin"].name in html and f'data-url="/agencies/{reg["zexin"].uscc}"' in html
    bad = client.get("/search/suggest", query_string={"q": "泽信", "listbox": '"><x'},
                     headers={"HX-Request": "true"}).get_data(True)
    assert "<x" not in bad and 'id="suggest-1"' in bad


def test_suggest_puts_the_named_agency_first(reg):
    found = service.suggest_agencies("太原市华信专利代理事务所")
    assert found[0].id == reg["huaxin"].id


def test_page_has_combobox_and_filters_behind_details(reg, client):
    html = client.get("/search/", query_string={"q": "华信", "kind": "penalty"}).get_data(True)
    assert 'role="combobox"' in html and 'aria-controls="search-q-list"' in html
    assert '<details id="search-filters"' in html
    assert 'id="filter-count">1<' in html
    # results come before the filters' fieldsets in reading order? No: the filters' summary
    # comes first (a button), the result list follows, the facet boxes stay closed on a phone.
    assert html.index('id="search-filters"') < html.index('id="search-results"')
    # the active filter is removable
    assert 'class="active-filters"' in html and 'href="/search/?q=%E5%8D%8E%E4%BF%A1"' in html
