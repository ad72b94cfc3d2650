"""What a person should notice before hiring an agency: the "需要注意" signals and the
red / amber / green flag.  The one place of that rule: the profile's panel, the comparison,
the shortlist check and the printed reports all read it from here.

The rule (issue 16):

* red — on the abnormal-operation or serious-dishonesty list now; an administrative penalty
  still inside its publication window; suspended (停止承接新业务); deregistered or revoked;
* amber — the current credit grade is C or D; removed from a list within the last year;
* green — none of these.

Signals are data (a code, a level, a date, a link and the values their sentence needs), so a
stored report can be shown again in either language; :func:`signal_text` words them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..timeutil import today as today_cn
from . import vocab
from .models import Agency, CreditGrade, ListEntry, Penalty, SpotCheck
from .publication import add_months
from .urls import record_url

RED, AMBER, GREEN = "red", "amber", "green"
FLAG_LABELS = {RED: _l("红色"), AMBER: _l("黄色"), GREEN: _l("绿色")}
FLAG_MEANINGS = {
    RED: _l("存在需要注意的情况"),
    AMBER: _l("有需要留意的情况"),
    GREEN: _l("未发现需要注意的情况"),
}
WATCH_GRADES = ("C", "D")
DELISTED_MONTHS = 12  # "removed from a list in the last year"
ENDED_STATUSES = ("deregistered", "revoked")
SUSPENSION_KIND = "责令停止承接新的专利代理业务"


@dataclass(frozen=True)
class Signal:
    level: str  # RED or AMBER
    code: str  # listed / penalty / suspended / ended / grade / delisted
    on: str | None  # ISO date
    url: str | None
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"level": self.level, "code": self.code, "on": self.on, "url": self.url,
                "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict) -> Signal:
        return cls(data["level"], data["code"], data.get("on"), data.get("url"),
                   dict(data.get("params") or {}))


@dataclass
class Assessment:
    signals: list[Signal]

    @property
    def flag(self) -> str:
        return flag_of(self.signals)

    @property
    def red(self) -> list[Signal]:
        return [s for s in self.signals if s.level == RED]

    @property
    def amber(self) -> list[Signal]:
        return [s for s in self.signals if s.level == AMBER]


def flag_of(signals: Iterable[Signal | dict]) -> str:
    levels = {s["level"] if isinstance(s, dict) else s.level for s in signals}
    if RED in levels:
        return RED
    if AMBER in levels:
        return AMBER
    return GREEN


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def signal_text(signal: Signal | dict) -> str:
    """The sentence of a signal in the reader's language."""
    s = Signal.from_dict(signal) if isinstance(signal, dict) else signal
    p = s.params
    if s.code == "listed":
        return _("自 %(date)s 起被列入%(list)s（%(reason)s）", date=s.on,
                 list=vocab.label(p.get("list")), reason=p.get("reason", ""))
    if s.code == "penalty":
        return _("%(date)s 受到行政处罚（%(kinds)s），仍在公示期内", date=s.on,
                 kinds=p.get("kinds", ""))
    if s.code == "suspended":
        if s.on:
            return _("自 %(date)s 起停止承接新业务", date=s.on)
        return _("停止承接新业务")
    if s.code == "ended":
        status = vocab.label(p.get("status"))
        if s.on:
            return _("已于 %(date)s %(status)s", date=s.on, status=status)
        return _("机构状态：%(status)s", status=status)
    if s.code == "grade":
        return _("%(period)s 年度信用等级为 %(grade)s", period=p.get("period", ""),
                 grade=p.get("grade", ""))
    if s.code == "delisted":
        return _("%(date)s 移出%(list)s（一年内）", date=s.on, list=vocab.label(p.get("list")))
    return s.code


def assess(agency: Agency, *, entries: Sequence[ListEntry], penalties: Sequence[Penalty],
           grade: CreditGrade | None, status_since: dt.date | None = None,
           on: dt.date | None = None) -> Assessment:
    """The signals of one agency from its public list entries and penalties and its current
    grade (the rule; see the module's docstring)."""
    on = on or today_cn()
    signals: list[Signal] = []
    for e in sorted(entries, key=lambda e: e.included_on, reverse=True):
        if e.removed_on is None:
            signals.append(Signal(RED, "listed", _iso(e.included_on), record_url(e),
                                  {"list": e.list_kind, "reason": e.inclusion_reason}))
    for p in sorted(penalties, key=lambda p: p.decided_on, reverse=True):
        signals.append(Signal(RED, "penalty", _iso(p.decided_on), record_url(p),
                              {"kinds": p.penalty_kinds}))
    if agency.status == "suspended":
        order = next((p for p in penalties if SUSPENSION_KIND in p.penalty_kinds), None)
        signals.append(Signal(RED, "suspended", _iso(status_since),
                              record_url(order) if order else None, {}))
    elif agency.status in ENDED_STATUSES:
        signals.append(Signal(RED, "ended", _iso(status_since), None,
                              {"status": agency.status}))
    if grade is not None and grade.grade in WATCH_GRADES:
        signals.append(Signal(AMBER, "grade", _iso(grade.evaluated_on), record_url(grade),
                              {"grade": grade.grade, "period": grade.period}))
    since = add_months(on, -DELISTED_MONTHS)
    for e in sorted(entries, key=lambda e: e.removed_on or on, reverse=True):
        if e.removed_on is not None and e.removed_on >= since:
            signals.append(Signal(AMBER, "delisted", _iso(e.removed_on), record_url(e),
                                  {"list": e.list_kind}))
    return Assessment(signals)


def status_since(agency: Agency, changes: Sequence[Any]) -> dt.date | None:
    """When the agency's current status began, from its 变更记录 (queries.agency_changes,
    newest first); None when the history does not say."""
    from .kinds import AGENCY

    field_label = str(AGENCY.labels["status"])
    current = vocab.label(agency.status)
    return next((c.on for c in changes if c.field == field_label and c.new == current), None)


# -- facts of several agencies at once (comparison, shortlist check, reports) ----------

def _by_agency(model, ids: list[int], order) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    if not ids:
        return out
    rows = db.session.scalars(select(model).where(model.agency_id.in_(ids), model.public_filter())
                              .order_by(order.desc(), model.id.desc()))
    for row in rows:
        out[row.agency_id].append(row)
    return out


def _years(established: dt.date | None, on: dt.date) -> int | None:
    if established is None:
        return None
    years = on.year - established.year - ((on.month, on.day) < (established.month, established.day))
    return max(0, years)


def _division_names(codes: Iterable[str]) -> dict[str, str]:
    from .divisions import path_name

    return {code: path_name(code) for code in set(codes)}


def agency_facts(agencies: Sequence[Agency], *, full: bool = True,
                 on: dt.date | None = None) -> list[dict[str, Any]]:
    """One plain dict per agency (JSON-able: the comparison and the check show them, reports
    store them): identity, status, flag and signals, current grade; with ``full`` also the
    grade history, penalty / list / spot-check counts, agents, years and region.

    A handful of queries for all agencies together (IN lists), not per agency."""
    on = on or today_cn()
    ids = [a.id for a in agencies]
    entries = _by_agency(ListEntry, ids, ListEntry.included_on)
    penalties = _by_agency(Penalty, ids, Penalty.decided_on)
    grades = _by_agency(CreditGrade, ids, CreditGrade.period)
    checks = _by_agency(SpotCheck, ids, SpotCheck.completed_on) if full else {}
    places = _division_names(a.division_code for a in agencies) if full else {}
    out = []
    for a in agencies:
        current = grades[a.id][0] if grades[a.id] else None
        result = assess(a, entries=entries[a.id], penalties=penalties[a.id], grade=current,
                        on=on)
        facts: dict[str, Any] = {
            "uscc": a.uscc, "name": a.name, "status": a.status, "kind": a.kind,
            "flag": result.flag, "signals": [s.as_dict() for s in result.signals],
            "grade": _grade_dict(current),
        }
        if full:
            spot = checks[a.id]
            facts.update({
                "grades": [_grade_dict(g) for g in grades[a.id]],
                "penalties": len(penalties[a.id]),
                "latest_penalty": _iso(penalties[a.id][0].decided_on) if penalties[a.id] else None,
                "lists_active": sum(1 for e in entries[a.id] if e.removed_on is None),
                "lists_removed": sum(1 for e in entries[a.id] if e.removed_on is not None),
                "spot_checks": len(spot),
                "spot_problems": sum(1 for s in spot
                                     if s.result not in vocab.SPOT_CHECK_CLEAN_RESULTS),
                "latest_spot": ({"on": _iso(spot[0].completed_on), "result": spot[0].result}
                                if spot else None),
                "agents": a.agent_count,
                "established_on": _iso(a.established_on),
                "years": _years(a.established_on, on),
                "region": places.get(a.division_code, ""),
            })
        out.append(facts)
    return out


def _grade_dict(g: CreditGrade | None) -> dict | None:
    if g is None:
        return None
    return {"grade": g.grade, "period": g.period,
            "score": None if g.score is None else format(g.score, "f"),
            "evaluated_on": _iso(g.evaluated_on), "authority": g.authority,
            "reasons": g.reasons}
