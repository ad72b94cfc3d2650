"""Reading tips for the back office: the running deadline and overdue in SQL, a bureau's
queue, the tip page, likely duplicates, the supervised list and transfers to other provinces.

``running_due`` and ``overdue_clause`` are the SQL twins of ``workflow.current_due`` and
``workflow.is_overdue`` (which answer for one tip in Python): keep them in step.
Nothing here changes a tip; transitions belong to ``intake.workflow``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func
from sqlalchemy.orm import aliased

from portal.auth import permissions
from portal.auth.models import StaffUser
from portal.extensions import db
from portal.register import divisions
from portal.register.models import Bureau
from portal.timeutil import today

from . import calendar, workflow
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


def overdue_clause(on: dt.date | None = None):
    """Open tips whose running deadline passed before the last working day up to ``on``."""
    cutoff = calendar.last_working_day(on or today())
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


def _filtered(query, f: QueueFilters, user):
    if f.status == "open":
        query = query.where(Tip.status.in_(OPEN_STATUSES))
    elif f.status != "all":
        query = query.where(Tip.status == f.status)
    if f.category:
        query = query.where(Tip.category == f.category)
    if f.overdue:
        query = query.where(overdue_clause())
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
        "overdue": _count(base.where(overdue_clause())),
        "mine": _count(base.where(Tip.assignee_id == user.id, Tip.status.in_(OPEN_STATUSES))),
    }


def bureau_queue(bureau: Bureau, user, f: QueueFilters) -> QueuePage:
    """One page of ``bureau``'s tips (running deadline first), with its counts."""
    query = _filtered(db.select(Tip).where(Tip.bureau_id == bureau.id), f, user)
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


def likely_duplicate_of(agency_id: int | None, category: str, at: dt.datetime) -> Tip | None:
    """For a new tip: the earliest tip against the same agency in the same category
    within the window before ``at``."""
    if agency_id is None:
        return None
    return db.session.scalar(
        db.select(Tip)
        .where(Tip.agency_id == agency_id, Tip.category == category,
               Tip.created_at >= at - _window())
        .order_by(Tip.created_at)
        .limit(1))


def likely_duplicates(tip: Tip, limit: int = 10) -> list[Tip]:
    """The tips ``tip`` was flagged or marked as repeating, then the latest tips against
    the same agency in the same category within the window around it."""
    found = []
    for other in (tip.likely_duplicate_of, tip.duplicate_of):
        if other is not None and other not in found:
            found.append(other)
    if tip.agency_id:
        nearby = db.select(Tip).where(
            Tip.agency_id == tip.agency_id, Tip.category == tip.category, Tip.id != tip.id,
            Tip.created_at.between(tip.created_at - _window(), tip.created_at + _window()),
        ).order_by(Tip.created_at.desc()).limit(limit)
        found += [other for other in db.session.scalars(nearby) if other not in found]
    return found


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
        "duplicates": likely_duplicates(tip),
        "events": tip.events,
        "colleagues": colleagues,
        "transfer_targets": [b for b in targets if not workflow.is_cross_province(tip, b)],
        "cross_province_targets": [b for b in targets if workflow.is_cross_province(tip, b)],
        "due": workflow.current_due(tip),
        "left": workflow.working_days_left(tip),
    }
