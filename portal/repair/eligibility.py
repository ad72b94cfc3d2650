"""Which records may be repaired (信用修复), and from when — the one place for the rule.

A record's party may apply when the record is public now and:

* **penalty** (行政处罚): published at least ``REPAIR_MIN_PUBLISHED_MONTHS`` months (default
  6, and never earlier than the register's own floor, ``publication.repair_allowed_from``:
  行政处罚信息公示规定); no kind in ``REPAIR_EXCLUDED_PENALTY_KINDS`` (default
  吊销执业许可证: never); a kind in ``REPAIR_WHILE_RUNNING_PENALTY_KINDS`` (default
  责令停止承接新的专利代理业务) only once the restriction has run its course (decision date +
  ``suspension_months``).  The applicant must be able to prove who they are online: the
  decision names a registered agency, or an unregistered party with its USCC; a decision
  against an individual patent agent is applied for at the deciding bureau in person.
* **serious-dishonesty list entry** (严重违法失信名单), still listed: published at least
  ``REPAIR_SERIOUS_LIST_MIN_MONTHS`` months (default 12: 市场监督管理严重违法失信名单管理办法
  allows early removal after one year).  Approval removes the entry early (移出, reason
  信用修复); like every removed entry it stays visible, marked removed.
* an **abnormal-operation list entry** (经营异常名录) is not repaired by application: the
  agency cures the cause (e.g. files the annual report) and the listing authority removes it.
* spot-check results and credit grades are not repairable.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..register.publication import add_months, repair_allowed_from
from ..timeutil import today

REPAIRABLE_KINDS = ("penalty", "list_entry")


@dataclass(frozen=True)
class Eligibility:
    """``repairable``: the record can be repaired by application at all (now or later);
    ``eligible``: an application may be filed today; ``from_date``: the first day one may
    apply (None when never); ``reason``: why not (a translated message), else ""."""

    repairable: bool
    eligible: bool
    from_date: dt.date | None
    reason: str = ""


def _kinds(setting: str) -> frozenset[str]:
    raw = current_app.config[setting] or ""
    if not isinstance(raw, str):
        raw = "、".join(raw)
    return frozenset(k for k in re.split(r"[、,，;\s]+", raw) if k)


def _never(reason) -> Eligibility:
    return Eligibility(False, False, None, str(reason))


def penalty_from(record: Any) -> dt.date:
    """The first day the party of penalty ``record`` may apply (kinds aside)."""
    months = int(current_app.config["REPAIR_MIN_PUBLISHED_MONTHS"])
    first = max(add_months(record.published_on, months), repair_allowed_from(record))
    running = _kinds("REPAIR_WHILE_RUNNING_PENALTY_KINDS")
    if set(record.penalty_kind_list) & running:
        first = max(first, add_months(record.decided_on, int(record.suspension_months or 12)))
    return first


def _penalty(record: Any) -> Eligibility | dt.date:
    if set(record.penalty_kind_list) & _kinds("REPAIR_EXCLUDED_PENALTY_KINDS"):
        return _never(_l("该处罚包含%(kinds)s，按规定不予信用修复。",
                         kinds="、".join(sorted(set(record.penalty_kind_list)
                                               & _kinds("REPAIR_EXCLUDED_PENALTY_KINDS")))))
    if getattr(record, "agent_id", None):
        return _never(_l("对专利代理师个人的处罚，请当事人持身份证明向处罚机关申请信用修复。"))
    if record.agency_id is None and not record.party_uscc:
        return _never(_l("该处罚未载明当事人统一社会信用代码，无法在线核对申请人，"
                         "请向处罚机关申请信用修复。"))
    return penalty_from(record)


def _list_entry(record: Any) -> Eligibility | dt.date:
    if record.list_kind != "serious":
        return _never(_l("经营异常名录不适用信用修复申请：改正后（如补报年度报告、履行公示义务），"
                         "由列入机关办理移出。"))
    if record.removed_on is not None:
        return _never(_l("该记录已移出名单。"))
    months = int(current_app.config["REPAIR_SERIOUS_LIST_MIN_MONTHS"])
    return add_months(record.published_on, months)


def eligibility(record: Any, on: dt.date | None = None) -> Eligibility:
    """Whether the party of ``record`` may apply for credit repair ``on`` (today)."""
    on = on or today()
    kind = getattr(record, "KIND", "")
    if kind == "penalty":
        first = _penalty(record)
    elif kind == "list_entry":
        first = _list_entry(record)
    elif kind in ("spot_check", "credit_grade"):
        return _never(_l("抽查检查结果和信用评价不适用信用修复。"))
    else:
        return _never(_l("该类信息不适用信用修复申请。"))
    if isinstance(first, Eligibility):
        return first
    if not record.is_public(on):
        return Eligibility(True, False, first, str(_l("该信息不在公示中，无需申请信用修复。")))
    ends = record.publication_ends_on
    if ends is not None and ends < first:
        return Eligibility(False, False, None, str(_l(
            "该信息的公示期将于 %(date)s 届满，届满前不满足信用修复条件，届满后自动停止公示。",
            date=ends.isoformat())))
    if on < first:
        return Eligibility(True, False, first, str(_l(
            "自 %(date)s 起可以申请信用修复。", date=first.isoformat())))
    return Eligibility(True, True, first)
