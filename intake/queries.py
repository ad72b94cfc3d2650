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
from sqlalchemy import case, func, literal_column
from sqlalchemy.orm import aliased

from portal.auth import permissions
from portal.auth.models import StaffUser
from portal.extensions import db
from portal.register import divisions
from portal.register.models import Agency, Bureau
from portal.timeutil import today

from . import calendar, codes, matching, workflow
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


def overdue_accept_clause(on: dt.date | None = None, province: str | None = None):
    """The acceptance half of ``overdue_clause``: received tips past their accept_due."""
    cutoff = calendar.last_working_day(on or today(), province=province)
    return db.and_(Tip.status == TipStatus.RECEIVED, Tip.accept_due.is_not(None),
                   Tip.accept_due < cutoff)


def overdue_verify_clause(on: dt.date | None = None, province: str | None = None):
    """The verification half of ``overdue_clause``: accepted, still open, past verify_due."""
    cutoff = calendar.last_working_day(on or today(), province=province)
    return db.and_(Tip.status.in_([s for s in OPEN_STATUSES if s != TipStatus.RECEIVED]),
                   Tip.verify_due.is_not(None), Tip.verify_due < cutoff)


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
    tips, total, page, pages = _by_deadline(query, f.page)
    return QueuePage(deadline_rows(tips), total, page, pages, _queue_counts(bureau, user),
                     _categories([bureau.id]))


def _by_deadline(query, requested: int) -> tuple[list, int, int, int]:
    """(tips of the requested page, running deadline first; total; page; pages)."""
    total = _count(query)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    page = min(max(1, requested), pages)
    tips = list(db.session.scalars(
        query.order_by(running_due.is_(None), running_due, Tip.created_at, Tip.id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return tips, total, page, pages


def _categories(bureau_ids: list[int]) -> list[str]:
    """The categories the bureaus' tips fall in (the queue's category filter)."""
    return list(db.session.scalars(
        db.select(Tip.category).where(Tip.bureau_id.in_(bureau_ids)).distinct()
        .order_by(Tip.category)))


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


# -- the supervisor's work view: one queue across the bureaus they supervise ----------

OVERDUE_CHOICES = ("", "any", "accept", "verify")


@dataclass(frozen=True)
class WorkFilters:
    bureau: str = ""  # a bureau code among those supervised; "" for all of them
    status: str = "open"  # one of QUEUE_STATUSES
    category: str = ""
    overdue: str = ""  # one of OVERDUE_CHOICES ("any": either deadline)
    supervised: bool = False
    unread: bool = False  # a reporter's message staff have not read yet
    q: str = ""  # case number, party name or USCC, or a tracking code
    since: dt.datetime | None = None  # received from (UTC; the dashboard's date range)
    until: dt.datetime | None = None  # received before (UTC)
    page: int = 1


def has_unread_column() -> bool:
    """True once tips record whether a reporter's message is unread by staff (issue 13)."""
    return hasattr(Tip, "reporter_message_unread")


def overdue_of(kind: str, on: dt.date | None = None, province: str | None = None):
    """The SQL condition of an OVERDUE_CHOICES value (None for "")."""
    if kind == "accept":
        return overdue_accept_clause(on, province)
    if kind == "verify":
        return overdue_verify_clause(on, province)
    if kind == "any":
        return overdue_clause(on, province)
    return None


def search_clause(text: str):
    """Tips matching a staff search: case number (whole or its tail), the reported party's
    name (agency or operator, part of it), its USCC, or the reporter's tracking code (only
    its hash is stored: the code must be typed whole)."""
    text = text.strip()
    if not text:
        return None
    like = f"%{text}%"
    agency_match = db.select(Agency.id).where(
        db.or_(Agency.name.like(like), Agency.uscc == text.upper()))
    clauses = [Tip.reference == text.upper(), Tip.reference.like(f"%{text.upper()}"),
               Tip.operator_name.like(like), Tip.operator_uscc == text.upper(),
               Tip.agency_id.in_(agency_match)]
    if codes.normalize(text) is not None:
        clauses.append(Tip.tracking_hash == codes.hash_code(text))
    return db.or_(*clauses)


def _work_query(bureaus: list[Bureau], f: WorkFilters, on: dt.date | None = None):
    ids = [b.id for b in bureaus if not f.bureau or b.code == f.bureau]
    province = bureaus[0].code if bureaus else None
    query = db.select(Tip).where(Tip.bureau_id.in_(ids))
    if f.status == "open":
        query = query.where(Tip.status.in_(OPEN_STATUSES))
    elif f.status != "all":
        query = query.where(Tip.status == f.status)
    conditions = [
        Tip.category == f.category if f.category else None,
        overdue_of(f.overdue, on, province),
        Tip.supervised.is_(True) if f.supervised else None,
        search_clause(f.q),
        Tip.created_at >= f.since if f.since else None,
        Tip.created_at < f.until if f.until else None,
    ]
    if f.unread and has_unread_column():
        conditions.append(Tip.reporter_message_unread.is_(True))
    return query.where(*[c for c in conditions if c is not None])


def _work_counts(bureaus: list[Bureau], f: WorkFilters, on: dt.date | None = None) -> dict:
    """The count cards of the work view: every figure within the chosen bureau(s)."""
    ids = [b.id for b in bureaus if not f.bureau or b.code == f.bureau]
    province = bureaus[0].code if bureaus else None
    in_scope = Tip.bureau_id.in_(ids)

    def n(*where) -> int:
        return db.session.scalar(db.select(func.count(Tip.id)).where(in_scope, *where)) or 0

    by_status = dict(db.session.execute(
        db.select(Tip.status, func.count()).where(in_scope).group_by(Tip.status)).all())
    counts = {
        "by_status": by_status,
        "open": sum(by_status.get(s, 0) for s in OPEN_STATUSES),
        "overdue": n(overdue_clause(on, province)),
        "overdue_accept": n(overdue_accept_clause(on, province)),
        "overdue_verify": n(overdue_verify_clause(on, province)),
        "supervised": n(Tip.supervised.is_(True), Tip.status.in_(OPEN_STATUSES)),
    }
    if has_unread_column():
        counts["unread"] = n(Tip.reporter_message_unread.is_(True))
    return counts


def work_queue(bureaus: list[Bureau], f: WorkFilters, on: dt.date | None = None) -> QueuePage:
    """One page of the tips of ``bureaus`` (one province, or a city and its districts)
    matching ``f``, running deadline first, with the count cards."""
    query = _work_query(bureaus, f, on)
    tips, total, page, pages = _by_deadline(query, f.page)
    return QueuePage(deadline_rows(tips, on), total, page, pages, _work_counts(bureaus, f, on),
                     _categories([b.id for b in bureaus]))


# -- the per-bureau supervision table ----------------------------------------------------

def china_day(column):
    """SQL: the calendar day in China (UTC+8, no DST) of a UTC ``DateTime`` column."""
    # Literal SQL, not bound parameters: the same expression in SELECT and GROUP BY.
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(column + literal_column("INTERVAL '8 hours'"))
    return func.date(column, literal_column("'+8 hours'"))


def as_date(value) -> dt.date | None:
    """A day as returned by ``china_day`` (SQLite gives text, PostgreSQL a date)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def weighted_median(pairs) -> float | None:
    """The median of values given as (value, how many times) pairs (None when empty)."""
    items = sorted((v, n) for v, n in pairs if v is not None and n)
    total = sum(n for _v, n in items)
    if not total:
        return None
    lower, upper = (total - 1) // 2, total // 2  # 0-based ranks of the middle value(s)
    seen, low_value, high_value = 0, None, None
    for value, n in items:
        if low_value is None and seen + n > lower:
            low_value = value
        if seen + n > upper:
            high_value = value
            break
        seen += n
    return (low_value + high_value) / 2


def working_day_medians(rows, province: str | None) -> dict:
    """{key: median working days} from rows (key, start day, end day, count)."""
    rows = [(k, as_date(a), as_date(b), n) for k, a, b, n in rows if a is not None
            and b is not None]
    if not rows:
        return {}
    first = min(min(a, b) for _k, a, b, _n in rows)
    last = max(max(a, b) for _k, a, b, _n in rows)
    count = calendar.WorkingDayCount(first, last, province=province)
    by_key: dict = {}
    for key, a, b, n in rows:
        by_key.setdefault(key, []).append((count.between(a, b), n))
    return {key: weighted_median(pairs) for key, pairs in by_key.items()}


SUPERVISION_COLUMNS = ("open", "overdue_accept", "overdue_verify", "median_accept",
                       "median_conclude", "extended", "transfers_in", "transfers_out",
                       "supervised")


def supervision_table(bureaus: list[Bureau], since: dt.datetime | None = None,
                      until: dt.datetime | None = None, on: dt.date | None = None) -> list[dict]:
    """Per bureau: open and overdue now (acceptance / verification), and for the tips
    received between ``since`` and ``until`` (UTC, ``until`` exclusive) the median working
    days to accept (from entering the bureau's queue) and to conclude (from receipt),
    extensions and supervised tips; transfers in and out made in that period."""
    ids = [b.id for b in bureaus]
    province = bureaus[0].code if bureaus else None
    in_scope = Tip.bureau_id.in_(ids)
    period = [c for c in (Tip.created_at >= since if since else None,
                          Tip.created_at < until if until else None) if c is not None]

    def per_bureau(*where, column=Tip.bureau_id) -> dict:
        return dict(db.session.execute(
            db.select(column, func.count()).where(*where).group_by(column)).all())

    figures = {
        "open": per_bureau(in_scope, Tip.status.in_(OPEN_STATUSES)),
        "overdue_accept": per_bureau(in_scope, overdue_accept_clause(on, province)),
        "overdue_verify": per_bureau(in_scope, overdue_verify_clause(on, province)),
        "extended": per_bureau(in_scope, Tip.extended.is_(True), *period),
        "supervised": per_bureau(in_scope, Tip.supervised.is_(True), *period),
    }
    transfer = TipEvent.kind == workflow.ACTIONS[TipAction.TRANSFER].event
    event_period = [c for c in (TipEvent.at >= since if since else None,
                                TipEvent.at < until if until else None) if c is not None]
    figures["transfers_in"] = per_bureau(transfer, TipEvent.to_bureau_id.in_(ids), *event_period,
                                         column=TipEvent.to_bureau_id)
    figures["transfers_out"] = per_bureau(transfer, TipEvent.from_bureau_id.in_(ids),
                                          *event_period, column=TipEvent.from_bureau_id)
    accept_rows = db.session.execute(
        db.select(Tip.bureau_id, china_day(Tip.queue_entered_at), china_day(Tip.accepted_at),
                  func.count()).where(in_scope, Tip.accepted_at.is_not(None), *period)
        .group_by(Tip.bureau_id, china_day(Tip.queue_entered_at), china_day(Tip.accepted_at)))
    conclude_rows = db.session.execute(
        db.select(Tip.bureau_id, china_day(Tip.created_at), china_day(Tip.concluded_at),
                  func.count()).where(in_scope, Tip.concluded_at.is_not(None), *period)
        .group_by(Tip.bureau_id, china_day(Tip.created_at), china_day(Tip.concluded_at)))
    figures["median_accept"] = working_day_medians(accept_rows, province)
    figures["median_conclude"] = working_day_medians(conclude_rows, province)
    return [{"bureau": b, **{key: figures[key].get(b.id, None if key.startswith("median")
                                                   else 0) for key in SUPERVISION_COLUMNS}}
            for b in bureaus]


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
