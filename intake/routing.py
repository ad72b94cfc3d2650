"""Which bureau handles a tip, and why: a pure decision over facts, bureaus and rules.

In order, the first rule that applies (市场监督管理投诉举报处理暂行办法 and the seeds' 属地监管):

0. administrators' rules (category + region prefix -> bureau), most specific first;
1. a registered agency -> the most specific active bureau covering the agency's registered
   division (属地);
2. conduct online with the operator's registered domicile known -> that domicile's bureau
   (art. 27);
3. the place where the conduct happened -> the most specific active bureau covering it
   (district, else city, else province) (art. 25);
4. otherwise the provincial triage queue (TRIAGE_BUREAU_CODE, art. 37), marked for
   cross-region referral when a division of another province is concerned.

``decide`` touches no database: callers pass the bureaus and the active rules.
``route_tip``/``facts_for_tip`` do the loading for intake.services.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app
from flask_babel import gettext as _

from portal.errors import PortalError
from portal.extensions import db
from portal.register import divisions
from portal.register.models import Agency, Bureau, Division

from .models import RoutingRule, RoutingRuleChange

RULE_ADMIN = "admin_rule"  # stored as "admin_rule:<id>"
RULE_AGENCY = "agency_domicile"
RULE_ONLINE = "online_domicile"
RULE_PLACE = "place_of_conduct"
RULE_TRIAGE = "triage"


class BureauLike(Protocol):
    """What routing reads of a bureau (a ``Bureau`` row, or a stand-in in tests)."""

    @property
    def id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class Facts:
    """What routing needs to know about a tip."""

    category: str
    agency_name: str | None = None
    agency_division_code: str | None = None  # set when the party is a registered agency
    online: bool = False
    operator_division_code: str | None = None  # registered domicile of the operator, if known
    division_code: str | None = None  # where the conduct happened
    division_names: Mapping[str, str] = field(default_factory=dict)  # code -> readable name

    @property
    def is_registered_agency(self) -> bool:
        return bool(self.agency_name or self.agency_division_code)


@dataclass(frozen=True)
class Decision:
    bureau: BureauLike
    rule: str
    reason: str
    cross_region: bool = False


def _place(facts: Facts, code: str | None) -> str:
    if not code:
        return "不明"
    name = facts.division_names.get(code)
    return f"{name}（{code}）" if name else code


def _covering(code: str | None, active: Mapping[str, BureauLike]) -> BureauLike | None:
    """The most specific active bureau covering ``code``: district, else city, else province."""
    if not code or not divisions.is_code(code):
        return None
    found = divisions.covering_code(code, active)
    return active[found] if found else None


def _anchor(facts: Facts) -> str | None:
    """The division that anchors jurisdiction (used to match administrators' rules)."""
    if facts.is_registered_agency and facts.agency_division_code:
        return facts.agency_division_code
    if facts.online and facts.operator_division_code:
        return facts.operator_division_code
    return facts.division_code


def _rule_applies(rule, facts: Facts, anchor: str) -> bool:
    return bool(rule.active and anchor.startswith(rule.division_prefix or "")
                and rule.category in (None, "", facts.category))


def _admin_rule(facts: Facts, bureaus: list[BureauLike], rules: Iterable) -> Decision | None:
    anchor = _anchor(facts)
    if not anchor:
        return None
    by_id = {b.id: b for b in bureaus if b.active}
    matching = [
        ((len(rule.division_prefix or ""), 1 if rule.category else 0), -(rule.id or 0), rule)
        for rule in rules
        if _rule_applies(rule, facts, anchor) and rule.bureau_id in by_id
    ]
    if not matching:
        return None
    matching.sort(key=lambda m: (m[0], m[1]), reverse=True)
    rule = matching[0][2]
    target = by_id[rule.bureau_id]
    what = f"类别“{rule.category}”" if rule.category else "所有类别"
    reason = (
        f"管理员规则第 {rule.id} 号：{what}、地区代码以 {rule.division_prefix} 开头的举报"
        f"（本件相关地区：{_place(facts, anchor)}）由{target.name}办理。"
    )
    if rule.note:
        reason += f"规则说明：{rule.note}"
    return Decision(target, f"{RULE_ADMIN}:{rule.id}", reason, False)


# The built-in rules, in order.  Each returns a decision, or notes in ``skipped`` why it
# did not apply (the reason of a later decision repeats these notes).

def _by_agency(facts: Facts, active: Mapping[str, BureauLike],
               skipped: list[str]) -> Decision | None:
    if not facts.is_registered_agency:
        return None
    code = facts.agency_division_code
    bureau = _covering(code, active)
    if bureau is not None:
        return Decision(bureau, RULE_AGENCY, (
            f"被举报机构“{facts.agency_name or ''}”的登记地在{_place(facts, code)}，"
            f"按属地监管由{bureau.name}办理。"
        ))
    skipped.append(f"被举报机构登记地{_place(facts, code)}不在本平台服务的地区")
    return None


def _by_online_domicile(facts: Facts, active: Mapping[str, BureauLike],
                        skipped: list[str]) -> Decision | None:
    if not facts.online:
        return None
    code = facts.operator_division_code
    if not code:
        if not facts.is_registered_agency:
            skipped.append("网络违法行为的经营者登记住所地不明")
        return None
    bureau = _covering(code, active)
    if bureau is not None:
        return Decision(bureau, RULE_ONLINE, (
            f"违法行为发生在网络上，经营者登记住所地在{_place(facts, code)}，"
            f"由住所地的{bureau.name}办理。"
        ))
    skipped.append(f"经营者登记住所地{_place(facts, code)}不在本平台服务的地区")
    return None


def _by_place(facts: Facts, active: Mapping[str, BureauLike],
              skipped: list[str]) -> Decision | None:
    code = facts.division_code
    if not code:
        skipped.append("未提供违法行为发生地")
        return None
    bureau = _covering(code, active)
    if bureau is not None:
        prefix = "".join(s + "；" for s in skipped)
        return Decision(bureau, RULE_PLACE, (
            f"{prefix}违法行为发生地在{_place(facts, code)}，由覆盖该地的{bureau.name}办理。"
        ))
    skipped.append(f"违法行为发生地{_place(facts, code)}不在本平台服务的地区")
    return None


def _to_triage(facts: Facts, bureaus: list[BureauLike], triage_code: str,
               skipped: list[str]) -> Decision:
    triage = next((b for b in bureaus if b.code == triage_code), None)
    if triage is None:
        raise LookupError(f"triage bureau {triage_code} is not in the bureau list")
    known = [c for c in (facts.agency_division_code, facts.operator_division_code,
                         facts.division_code) if c]
    cross = any(not divisions.same_province(c, triage_code) for c in known)
    reason = "；".join(skipped) + f"。由{triage.name}统一接收、分送。"
    if cross:
        reason += "涉及其他省份，需跨地区移送。"
    return Decision(triage, RULE_TRIAGE, reason, cross)


def decide(facts: Facts, bureaus: Iterable[BureauLike], rules: Iterable = (),
           *, triage_code: str | None = None) -> Decision:
    """Pick the bureau for a tip.  ``bureaus``: all bureaus (inactive ones are skipped);
    ``rules``: administrators' routing rules (inactive ones are skipped)."""
    bureaus = list(bureaus)
    if triage_code is None:
        triage_code = str(current_app.config["TRIAGE_BUREAU_CODE"])
    decision = _admin_rule(facts, bureaus, rules)
    if decision:
        return decision
    active = {b.code: b for b in bureaus if b.active}
    skipped: list[str] = []
    for step in (_by_agency, _by_online_domicile, _by_place):
        decision = step(facts, active, skipped)
        if decision is not None:
            return decision
    return _to_triage(facts, bureaus, triage_code, skipped)


# -- loading the facts and deciding for a tip ---------------------------------

def _division_names(codes: set[str]) -> dict[str, str]:
    """Readable names of ``codes``, province first (e.g. 山西省太原市小店区)."""
    if not codes:
        return {}
    wanted = {a for code in codes for a in divisions.lineage(code)}
    known = {d.code: d.name for d in db.session.scalars(
        db.select(Division).where(Division.code.in_(wanted)))}
    names = {}
    for code in codes:
        parts: list[str] = []
        for ancestor in divisions.lineage(code):
            name = known.get(ancestor)
            if name and name not in parts:
                parts.append(name)
        if parts:
            names[code] = "".join(parts)
    return names


def facts_for(*, category: str, agency: Agency | None = None, online: bool = False,
              operator_division_code: str | None = None,
              division_code: str | None = None) -> Facts:
    codes = {c for c in (getattr(agency, "division_code", None), operator_division_code,
                         division_code) if c}
    return Facts(
        category=category,
        agency_name=agency.name if agency else None,
        agency_division_code=agency.division_code if agency else None,
        online=online,
        operator_division_code=None if agency else operator_division_code,
        division_code=division_code,
        division_names=_division_names(codes),
    )


def active_rules() -> list[RoutingRule]:
    return list(db.session.scalars(
        db.select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.id)
    ))


def route(facts: Facts) -> Decision:
    """``decide`` with the bureaus and active rules from the database."""
    bureaus = list(db.session.scalars(db.select(Bureau)))
    return decide(facts, bureaus, active_rules())


# -- administrators' rules (with history) -------------------------------------

class RuleError(PortalError):
    """An administrator's rule was refused: ``errors`` maps fields to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()), errors=errors)


def _snapshot(rule: RoutingRule) -> dict:
    return {
        "category": rule.category, "division_prefix": rule.division_prefix,
        "bureau_id": rule.bureau_id, "active": rule.active, "note": rule.note,
    }


def add_routing_rule(*, category: str | None, division_prefix: str, bureau: Bureau,
                     note: str | None = None, actor=None) -> RoutingRule:
    """Create an administrator's rule (category None: any category)."""
    from .categories import CATEGORIES

    errors = {}
    prefix = (division_prefix or "").strip()
    if not prefix.isdigit() or len(prefix) not in (2, 4, 6):
        errors["division_prefix"] = _("地区代码前缀应为 2、4 或 6 位数字（省、市、区县）。")
    elif actor is not None and not divisions.same_province(prefix, actor.bureau.code):
        errors["division_prefix"] = _("只能为本省的地区设置规则。")
    if category and category not in CATEGORIES:
        errors["category"] = _("未知的举报类别。")
    if bureau is None or not bureau.active:
        errors["bureau"] = _("请选择一个在用的承办部门。")
    if errors:
        raise RuleError(errors)
    rule = RoutingRule(category=category or None, division_prefix=prefix, bureau=bureau,
                       bureau_id=bureau.id, active=True, note=(note or "").strip() or None,
                       created_by_id=getattr(actor, "id", None))
    db.session.add(rule)
    db.session.flush()
    db.session.add(RoutingRuleChange(rule_id=rule.id, action="create",
                                     snapshot=_snapshot(rule),
                                     actor_id=getattr(actor, "id", None)))
    db.session.flush()
    return rule


def deactivate_routing_rule(rule: RoutingRule, *, actor=None,
                            reason: str | None = None) -> RoutingRule:
    if not rule.active:
        raise RuleError({"rule": _("该规则已停用。")})
    rule.active = False
    snapshot = _snapshot(rule)
    if reason:
        snapshot["reason"] = reason
    db.session.add(RoutingRuleChange(rule_id=rule.id, action="deactivate", snapshot=snapshot,
                                     actor_id=getattr(actor, "id", None)))
    db.session.flush()
    return rule


def rule_history(rule: RoutingRule) -> list[RoutingRuleChange]:
    return list(db.session.scalars(
        db.select(RoutingRuleChange).where(RoutingRuleChange.rule_id == rule.id)
        .order_by(RoutingRuleChange.id)
    ))
