"""Reading tips for the back office: the running deadline and overdue in SQL, a bureau's
queue, the tip page, likely duplicates, the supervised list and transfers to other provinces.

``running_due`` and ``overdue_clause`` are the SQL twins of ``workflow.current_due`` and
``workflow.is_overdue`` (which answer for one tip in Python): keep them in step.
Nothing here changes a tip; transitions belong to ``intake.workflow``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func
from sqlalchemy.orm import aliased

from portal.auth import permissions
from portal.auth.models import StaffUser
from portal.extensions import db
from portal.register import divisions
from portal.register.models import Bureau
from portal.timeutil import today

from . import calendar, matching, workflow
from .models import OPEN_STATUSES, Tip, TipEvent, TipStatus
from .workflow import TipAction

# Two tips against the same agency in the same category within this many days of each
# other are likely duplicates (flagged on submission, listed on the tip page).
DUPLICATE_WINDOW_DAYS = 30
PER_PAGE = 50

# The deadline that runs now: acceptance while received, verification afterwards.
running_due = case((Tip.status == TipStatus.RECEIVED, Tip.accept_due),
           (Tip.status.in_(OPEN_STATUSES), Tip.verify_due),
           else_=None)


def overdue_clause(on: dt.date | None = None, province: str | None = None):
    """Open tips whose running deadline passed before the last working day up to ``on``,
    in the calendar of ``province`` (a bureau code: the tips' province, as in
    ``workflow.is_overdue``; a queue or dashboard never spans two provinces)."""
    cutoff = calendar.last_working_day(on or today(), province=province)
    return db.and_(Tip.status.in_(OPEN_STATUSES), running_due.is_not(None),
                   running_due < cutoff)


def deadline_rows(tips, on: dt.date | None = None) -> list[dict]:
    """Each tip with its running deadline and the working days left (negative: overdue)."""
    on = on or today()
    return [{"tip": t, "due": workflow.current_due(t), "left": workflow.working_days_left(t, on)}
            for t in tips]


def _count(query) -> int:
    return db.session.scalar(db.select(func.count()).select_from(query.subquery())) or 0


# -- a bureau's queue -------------------------------------------------------------

QUEUE_STATUSES = ("open", "all", *TipStatus)


@dataclass(frozen=True)
class QueueFilters:
    status: str = "open"  # one of QUEUE_STATUSES
    category: str = ""
    overdue: bool = False
    mine: bool = False
    page: int = 1


@dataclass
class QueuePage:
    rows: list[dict]
    total: int
    page: int
    pages: int
    counts: dict
    categories: list[str] = field(default_factory=list)


def _filtered(query, f: QueueFilters, user, province: str | None = None):
    if f.status == "open":
        query = query.where(Tip.status.in_(OPEN_STATUSES))
    elif f.status != "all":
        query = query.where(Tip.status == f.status)
    if f.category:
        query = query.where(Tip.category == f.category)
    if f.overdue:
        query = query.where(overdue_clause(province=province))
    if f.mine:
        query = query.where(Tip.assignee_id == user.id)
    return query


def _queue_counts(bureau: Bureau, user) -> dict:
    base = db.select(Tip).where(Tip.bureau_id == bureau.id)
    by_status = dict(db.session.execute(
        db.select(Tip.status, func.count()).where(Tip.bureau_id == bureau.id)
        .group_by(Tip.status)).all())
    return {
        "by_status": by_status,
        "open": sum(by_status.get(s, 0) for s in OPEN_STATUSES),
        "overdue": _count(base.where(overdue_clause(province=bureau.code))),
        "mine": _count(base.where(Tip.assignee_id == user.id, Tip.status.in_(OPEN_STATUSES))),
    }


def bureau_queue(bureau: Bureau, user, f: QueueFilters) -> QueuePage:
    """One page of ``bureau``'s tips (running deadline first), with its counts."""
    query = _filtered(db.select(Tip).where(Tip.bureau_id == bureau.id), f, user, bureau.code)
    total = _count(query)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    page = min(max(1, f.page), pages)
    tips = db.session.scalars(
        query.order_by(running_due.is_(None), running_due, Tip.created_at, Tip.id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    categories = list(db.session.scalars(
        db.select(Tip.category).where(Tip.bureau_id == bureau.id).distinct()
        .order_by(Tip.category)))
    return QueuePage(deadline_rows(tips), total, page, pages, _queue_counts(bureau, user),
                     categories)


# -- supervision and transfers out of the province ----------------------------------

def supervised_rows(bureaus: list[Bureau]) -> list[dict]:
    """Tips under provincial supervision in ``bureaus``: open ones first, by deadline."""
    tips = db.session.scalars(
        db.select(Tip).where(Tip.supervised.is_(True),
                             Tip.bureau_id.in_([b.id for b in bureaus]))
        .order_by(Tip.status == TipStatus.CONCLUDED, running_due.is_(None), running_due, Tip.id))
    return deadline_rows(tips)


def transfers_out_of_province(bureaus: list[Bureau], limit: int = 100) -> list[TipEvent]:
    """Transfers from ``bureaus`` to a bureau of another province, newest first (the
    sending side's record of tips it no longer sees; see intake.workflow)."""
    by_province: dict[str, list[int]] = {}
    for b in bureaus:
        by_province.setdefault(divisions.province_of(b.code), []).append(b.id)
    if not by_province:
        return []
    target = aliased(Bureau)
    outside = [db.and_(TipEvent.from_bureau_id.in_(ids),
                       db.not_(divisions.sql_within(target.code, province, divisions.PROVINCE)))
               for province, ids in by_province.items()]
    return list(db.session.scalars(
        db.select(TipEvent).join(target, TipEvent.to_bureau_id == target.id)
        .where(TipEvent.kind == workflow.ACTIONS[TipAction.TRANSFER].event, db.or_(*outside))
        .order_by(TipEvent.at.desc(), TipEvent.id.desc()).limit(limit)))


# -- likely duplicates ----------------------------------------------------------------

def _window() -> dt.timedelta:
    return dt.timedelta(days=DUPLICATE_WINDOW_DAYS)


def _same_party(tip: Tip):
    """SQL: tips about the same party as ``tip`` (intake.matching): the same registered
    agency, or an operator with the same normalised name, USCC, web host or contact
    handle.  None when ``tip`` names nothing to match on."""
    clauses = []
    agency_id = tip.agency_id or (tip.agency.id if tip.agency is not None else None)
    if agency_id:
        clauses.append(Tip.agency_id == agency_id)
    for column, value in ((Tip.match_name, tip.match_name),
                          (Tip.operator_uscc, tip.operator_uscc),
                          (Tip.match_host, tip.match_host),
                          (Tip.match_handle, tip.match_handle)):
        if value:
            clauses.append(column == value)
    return db.or_(*clauses) if clauses else None


def likely_duplicate_of(tip: Tip, at: dt.datetime) -> Tip | None:
    """For a new tip: the earliest tip about the same party (see ``_same_party``) in the
    same category within the window before ``at``."""
    same = _same_party(tip)
    if same is None:
        return None
    query = db.select(Tip).where(same, Tip.category == tip.category,
                                 Tip.created_at >= at - _window())
    if tip.id is not None:
        query = query.where(Tip.id != tip.id)
    return db.session.scalar(query.order_by(Tip.created_at, Tip.id).limit(1))


def likely_duplicates(tip: Tip, limit: int = 10) -> list[Tip]:
    """The tips ``tip`` was flagged or marked as repeating, then the latest tips about the
    same party in the same category within the window around it."""
    found = []
    for other in (tip.likely_duplicate_of, tip.duplicate_of):
        if other is not None and other not in found:
            found.append(other)
    same = _same_party(tip)
    if same is not None:
        nearby = db.select(Tip).where(
            same, Tip.category == tip.category, Tip.id != tip.id,
            Tip.created_at.between(tip.created_at - _window(), tip.created_at + _window()),
        ).order_by(Tip.created_at.desc()).limit(limit)
        found += [other for other in db.session.scalars(nearby) if other not in found]
    return found


def duplicate_rows(tip: Tip, user) -> list[dict]:
    """The likely duplicates ``user`` may see (the tip page's own permission), each with
    the reasons it is listed."""
    rows = []
    for other in likely_duplicates(tip):
        if not permissions.can_view_tip(user, other):
            continue
        reasons = matching.reasons(tip, other)
        if tip.duplicate_of_id == other.id:
            reasons.insert(0, str(_l("已标记为其重复")))
        elif tip.likely_duplicate_of_id == other.id and not reasons:
            reasons.append(str(_l("提交时标记")))
        rows.append({"tip": other, "reasons": reasons})
    return rows


# -- the tip page -----------------------------------------------------------------------

def tip_page(tip: Tip, user) -> dict:
    """What the tip page shows ``user`` (who may see ``tip``): facts they may see, the
    actions they may take and the choices those actions offer."""
    allowed = workflow.allowed_actions(user, tip)
    colleagues: list[StaffUser] = []
    if TipAction.ASSIGN in allowed:
        colleagues = list(db.session.scalars(
            db.select(StaffUser).where(StaffUser.bureau_id == tip.bureau_id,
                                       StaffUser.active.is_(True)).order_by(StaffUser.name)))
    targets = workflow.transfer_targets(tip, user)
    return {
        "tip": tip,
        "allowed": allowed,
        "show_reporter": permissions.can_view_reporter(user, tip),
        "attachments": [a for a in tip.attachments
                        if permissions.can_download_attachment(user, a)],
        "duplicates": duplicate_rows(tip, user),
        "events": tip.events,
        "colleagues": colleagues,
        "transfer_targets": [b for b in targets if not workflow.is_cross_province(tip, b)],
        "cross_province_targets": [b for b in targets if workflow.is_cross_province(tip, b)],
        "due": workflow.current_due(tip),
        "left": workflow.working_days_left(tip),
    }
