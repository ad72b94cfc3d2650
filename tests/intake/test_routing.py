"""Routing: every rule, table-driven over a pure ``decide`` (no database)."""

from types import SimpleNamespace as NS

import pytest

from intake import routing
from intake.models import RoutingRuleChange
from intake.routing import Facts, decide
from portal.extensions import db
from tests.factories.register import bureau, make_agency

TRIAGE = "140000"


def B(id, code, name, level, active=True):
    return NS(id=id, code=code, name=name, level=level, active=active)


BUREAUS = [
    B(1, "140000", "山西省局", "province"),
    B(2, "140100", "太原市局", "city"),
    B(3, "140105", "小店区局", "district"),
    B(4, "140106", "迎泽区局", "district", active=False),
    B(5, "140200", "大同市局", "city"),
    B(6, "310000", "上海市局", "province"),
    B(7, "310115", "浦东新区局", "district"),
    B(8, "410700", "新乡市局", "city"),
]


def R(id, prefix, bureau_id, category=None, active=True, note=None):
    return NS(id=id, division_prefix=prefix, bureau_id=bureau_id, category=category,
              active=active, note=note)


CASES = [
    # id, facts, rules, expected bureau code, rule, cross_region
    ("agency district", Facts("虚假宣传", agency_name="甲所", agency_division_code="140105",
                              division_code="140200"), [], "140105", "agency_domicile", False),
    ("agency district inactive -> city", Facts("虚假宣传", agency_name="乙所",
                                               agency_division_code="140106"), [],
     "140100", "agency_domicile", False),
    ("agency in a city without district bureau", Facts("其他", agency_name="丙所",
                                                      agency_division_code="140212"), [],
     "140200", "agency_domicile", False),
    ("agency outside coverage, place inside", Facts("其他", agency_name="京所",
                                                   agency_division_code="110105",
                                                   division_code="310115"), [],
     "310115", "place_of_conduct", False),
    ("agency outside coverage, no place", Facts("其他", agency_name="京所",
                                               agency_division_code="110105"), [],
     TRIAGE, "triage", True),
    ("online with domicile", Facts("虚假宣传", online=True, operator_division_code="410700",
                                   division_code="140105"), [], "410700", "online_domicile",
     False),
    ("online, domicile unknown, place known", Facts("虚假宣传", online=True,
                                                    division_code="140105"), [],
     "140105", "place_of_conduct", False),
    ("online, domicile outside, place inside", Facts("虚假宣传", online=True,
                                                     operator_division_code="440305",
                                                     division_code="140200"), [],
     "140200", "place_of_conduct", False),
    ("offline domicile is ignored", Facts("虚假宣传", online=False,
                                          operator_division_code="410700",
                                          division_code="140105"), [],
     "140105", "place_of_conduct", False),
    ("place district", Facts("其他", division_code="140105"), [], "140105",
     "place_of_conduct", False),
    ("place city fallback", Facts("其他", division_code="140181"), [], "140100",
     "place_of_conduct", False),
    ("place inactive district -> city", Facts("其他", division_code="140106"), [],
     "140100", "place_of_conduct", False),
    ("place province fallback", Facts("其他", division_code="141121"), [], "140000",
     "place_of_conduct", False),
    ("Shanghai district under municipality", Facts("其他", division_code="310115"), [],
     "310115", "place_of_conduct", False),
    ("Shanghai district without bureau -> municipality", Facts("其他", division_code="310101"),
     [], "310000", "place_of_conduct", False),
    ("out of coverage -> triage, cross-region", Facts("其他", division_code="440305"), [],
     TRIAGE, "triage", True),
    ("nothing known -> triage", Facts("其他"), [], TRIAGE, "triage", False),
    ("online, nothing known -> triage", Facts("其他", online=True), [], TRIAGE, "triage",
     False),
    # Administrators' rules come first; most specific prefix wins, then category-specific.
    ("admin rule by category and region", Facts("商标代理违法", division_code="140105"),
     [R(1, "14", 2, "商标代理违法")], "140100", "admin_rule:1", False),
    ("admin rule other category does not apply", Facts("虚假宣传", division_code="140105"),
     [R(1, "14", 2, "商标代理违法")], "140105", "place_of_conduct", False),
    ("admin rule any category", Facts("虚假宣传", division_code="140105"),
     [R(2, "1401", 1)], "140000", "admin_rule:2", False),
    ("admin rule longest prefix wins", Facts("虚假宣传", division_code="140105"),
     [R(2, "14", 5), R(3, "140105", 1)], "140000", "admin_rule:3", False),
    ("admin rule category beats any at same prefix", Facts("虚假宣传", division_code="140105"),
     [R(2, "14", 5), R(3, "14", 1, "虚假宣传")], "140000", "admin_rule:3", False),
    ("admin rule inactive is skipped", Facts("虚假宣传", division_code="140105"),
     [R(4, "14", 5, active=False)], "140105", "place_of_conduct", False),
    ("admin rule to inactive bureau is skipped", Facts("虚假宣传", division_code="140105"),
     [R(5, "14", 4)], "140105", "place_of_conduct", False),
    ("admin rule matches the agency's division", Facts("其他", agency_name="甲所",
                                                       agency_division_code="140105",
                                                       division_code="310115"),
     [R(6, "1401", 5)], "140200", "admin_rule:6", False),
    ("admin rule can route out-of-coverage places", Facts("其他", division_code="440305"),
     [R(7, "44", 6)], "310000", "admin_rule:7", False),
]


@pytest.mark.parametrize("facts, rules, code, rule, cross",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decide(facts, rules, code, rule, cross):
    decision = decide(facts, BUREAUS, rules, triage_code=TRIAGE)
    assert decision.bureau.code == code
    assert decision.rule == rule
    assert decision.cross_region is cross
    assert decision.reason and decision.bureau.name in decision.reason
    assert any("\u4e00" <= ch <= "\u9fff" for ch in decision.reason)


def test_reasons_read_as_chinese_sentences():
    d = decide(Facts("其他", agency_name="甲所", agency_division_code="140105",
                     division_names={"140105": "山西省太原市小店区"}), BUREAUS, [],
               triage_code=TRIAGE)
    assert d.reason == ("被举报机构“甲所”的登记地在山西省太原市小店区（140105），"
                        "按属地监管由小店区局办理。")
    d = decide(Facts("其他", division_code="440305"), BUREAUS, [], triage_code=TRIAGE)
    assert "不在本平台服务的地区" in d.reason and "跨地区移送" in d.reason
    d = decide(Facts("其他", division_code="140105"), BUREAUS, [R(9, "14", 2, note="专项整治")],
               triage_code=TRIAGE)
    assert "管理员规则第 9 号" in d.reason and "专项整治" in d.reason


def test_decide_needs_a_triage_bureau():
    with pytest.raises(LookupError):
        decide(Facts("其他"), BUREAUS, [], triage_code="990000")


def test_route_uses_database_bureaus_and_rules(app_ctx):
    agency = make_agency(division_code="140105")
    facts = routing.facts_for(category="其他", agency=agency, division_code="310115")
    assert facts.division_names["140105"] == "山西省太原市小店区"
    assert routing.route(facts).bureau.code == "140105"
    rule = routing.add_routing_rule(category="其他", division_prefix="1401",
                                    bureau=bureau("140100"), note="集中办理")
    decision = routing.route(facts)
    assert decision.bureau.code == "140100" and decision.rule == f"admin_rule:{rule.id}"
    routing.deactivate_routing_rule(rule, reason="专项结束")
    assert routing.route(facts).bureau.code == "140105"
    history = routing.rule_history(rule)
    assert [h.action for h in history] == ["create", "deactivate"]
    assert history[1].snapshot["active"] is False and history[1].snapshot["reason"] == "专项结束"
    assert db.session.query(RoutingRuleChange).count() == 2


def test_add_routing_rule_validates(app_ctx):
    with pytest.raises(routing.RuleError) as info:
        routing.add_routing_rule(category="不存在", division_prefix="1x", bureau=None)
    assert set(info.value.errors) == {"category", "division_prefix", "bureau"}
    rule = routing.add_routing_rule(category=None, division_prefix="14", bureau=bureau("140000"))
    routing.deactivate_routing_rule(rule)
    with pytest.raises(routing.RuleError):
        routing.deactivate_routing_rule(rule)


def test_an_administrator_sets_rules_for_their_own_province_only(app_ctx):
    from types import SimpleNamespace

    shanxi_admin = SimpleNamespace(id=None, bureau=bureau("140000"))
    with pytest.raises(routing.RuleError) as info:
        routing.add_routing_rule(category=None, division_prefix="3101", bureau=bureau("140100"),
                                 actor=shanxi_admin)
    assert set(info.value.errors) == {"division_prefix"}
    rule = routing.add_routing_rule(category=None, division_prefix="1401",
                                    bureau=bureau("140100"), actor=shanxi_admin)
    assert rule.active and rule.division_prefix == "1401"
