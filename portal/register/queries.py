"""Read-side queries of the public register (no state changes).

Filters parse request args into SQLAlchemy conditions; the one definition of the
"current grade" (the latest public credit grade by period) lives here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from math import ceil

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Date, String, and_, case, func, null, or_, select, type_coerce
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..extensions import db
from ..timeutil import today as today_cn
from . import derived, kinds, vocab
from .cleaning import parse_date
from .divisions import area_condition
from .kinds import Dataset
from .models import (
    Agency,
    AgencyFormerName,
    Agent,
    AgentPractice,
    Bureau,
    CreditGrade,
    Penalty,
    RegisterEvent,
)
from .publication import add_months

PER_PAGE = 20


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def page_number(args) -> int:
    try:
        return max(1, int(args.get("page", 1)))
    except (TypeError, ValueError):
        return 1


def paginate(query, page: int, per_page: int = PER_PAGE, total: int | None = None) -> Page:
    """One page of ``query``; ``total`` may be passed when it is already known (cached counts)."""
    if total is None:
        # count(*) over the same FROM/WHERE (no joins here multiply rows), not over a
        # subquery of every selected column.
        total = db.session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True)
                                  .order_by(None))
    pages = max(1, ceil(total / per_page))
    page = min(page, pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


# -- current grade -------------------------------------------------------------

# An agency's current grade is its public credit grade with the latest period
# ((agency_id, period) is unique).  Both helpers below are correlated on agency_id
# so they use the (agency_id, period) index instead of grouping the whole table.

def _later_public_grade(grade):
    """EXISTS a public grade of the same agency with a later period than ``grade``."""
    later = aliased(CreditGrade)
    return (select(later.id).where(later.agency_id == grade.agency_id,
                                   later.period > grade.period, later.public_filter())
            .exists())


def current_grade_condition(grade_value: str | None):
    """Condition on Agency: its current grade is ``grade_value`` (None: it has no public grade).

    The stored ``Agency.current_grade`` (``derived``), walked by its index; agencies whose
    stored value may be out of date today (a grade entered or left its publication window
    since it was stored) are decided from their records."""
    stored = (Agency.current_grade.is_(None) if grade_value is None
              else Agency.current_grade == grade_value)
    if not derived.stale_exist():
        return stored
    stale = Agency.derived_until <= today_cn()
    fresh = or_(Agency.derived_until.is_(None), Agency.derived_until > today_cn())
    return Agency.id.in_(
        select(Agency.id).where(stored, fresh)
        .union(select(Agency.id).where(stale, live_grade_condition(grade_value))))


def live_grade_condition(grade_value: str | None):
    """``current_grade_condition`` computed from the credit grades (no stored values)."""
    if grade_value is None:
        return ~select(CreditGrade.id).where(CreditGrade.agency_id == Agency.id,
                                             CreditGrade.public_filter()).exists()
    return Agency.id.in_(select(CreditGrade.agency_id).where(
        CreditGrade.grade == grade_value, CreditGrade.public_filter(),
        ~_later_public_grade(CreditGrade)))


def current_grades(agency_ids) -> dict[int, str]:
    """agency id -> current grade, for a page of agencies: the stored values, or for an
    agency whose stored value may be out of date today, its records'."""
    if not agency_ids:
        return {}
    today = today_cn()
    out, stale = {}, []
    for agency_id, grade, until in db.session.execute(
            select(Agency.id, Agency.current_grade, Agency.derived_until)
            .where(Agency.id.in_(list(agency_ids)))):
        if until is not None and until <= today:
            stale.append(agency_id)
        elif grade is not None:
            out[agency_id] = grade
    out.update(live_grades(stale))
    return out


def live_grades(agency_ids) -> dict[int, str]:
    """agency id -> current grade from the credit grades.

    One correlated "latest period first, LIMIT 1" lookup per agency, which walks the
    (agency_id, period) unique index (an IN list over credit_grade lets SQLite prefer
    the status index and read the whole table).
    """
    if not agency_ids:
        return {}
    latest = (select(CreditGrade.grade)
              .where(CreditGrade.agency_id == Agency.id, CreditGrade.public_filter())
              .order_by(CreditGrade.period.desc()).limit(1).scalar_subquery())
    rows = db.session.execute(select(Agency.id, latest).where(Agency.id.in_(list(agency_ids))))
    return {agency_id: grade for agency_id, grade in rows if grade is not None}


# -- agency directory ----------------------------------------------------------

def directory_filters(args) -> dict:
    return {
        "region": (args.get("region") or "").strip(),
        "kind": args.get("kind") if args.get("kind") in vocab.AGENCY_KINDS else "",
        "status": args.get("status") if args.get("status") in vocab.AGENCY_STATUSES else "",
        "grade": args.get("grade") if args.get("grade") in (*vocab.CREDIT_GRADES, "none") else "",
        "q": (args.get("q") or "").strip()[:100],
        "sort": args.get("sort") if args.get("sort") in DIRECTORY_SORTS else "",
    }


# The directory's orders (issue 16): name; best current grade first (no grade last); most
# public penalties first; longest in practice first.
DIRECTORY_SORTS = ("name", "grade", "penalties", "years")


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _directory_order(q, sort: str | None):
    if sort == "grade":
        latest = Agency.current_grade
        if derived.stale_exist():
            live = (select(CreditGrade.grade)
                    .where(CreditGrade.agency_id == Agency.id, CreditGrade.public_filter())
                    .order_by(CreditGrade.period.desc()).limit(1).scalar_subquery())
            latest = case((Agency.derived_until <= today_cn(), live), else_=Agency.current_grade)
        rank = case({g: i for i, g in enumerate(vocab.CREDIT_GRADES)}, value=latest,
                    else_=len(vocab.CREDIT_GRADES))
        return q.order_by(rank, Agency.name, Agency.id)
    if sort == "penalties":
        count = (select(func.count(Penalty.id))
                 .where(Penalty.agency_id == Agency.id, Penalty.public_filter())
                 .scalar_subquery())
        return q.order_by(count.desc(), Agency.name, Agency.id)
    if sort == "years":
        return q.order_by(Agency.established_on.is_(None), Agency.established_on,
                          Agency.name, Agency.id)
    return q.order_by(Agency.name, Agency.id)


def directory_query(filters: dict):
    q = select(Agency)
    if filters.get("q"):
        like = _like(filters["q"])
        former = select(AgencyFormerName.agency_id).where(
            AgencyFormerName.name.like(like, escape="\\"))
        q = q.where(or_(Agency.name.like(like, escape="\\"), Agency.id.in_(former)))
    cond = area_condition(Agency.division_code, filters.get("region"))
    if cond is not None:
        q = q.where(cond)
    kind = filters.get("kind")
    if kind == "patent":
        q = q.where(Agency.kind.in_(("patent", "both")))
    elif kind == "trademark":
        q = q.where(Agency.kind.in_(("trademark", "both")))
    elif kind == "both":
        q = q.where(Agency.kind == "both")
    if filters.get("status"):
        q = q.where(Agency.status == filters["status"])
    grade = filters.get("grade")
    if grade:
        q = q.where(current_grade_condition(None if grade == "none" else grade))
    return _directory_order(q, filters.get("sort"))


# -- record lists ----------------------------------------------------------------

def _date_arg(args, name):
    value = args.get(name)
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def record_filters(kind: str, args) -> dict:
    """The list filters of ``kind`` from request args (invalid values are dropped)."""
    filters = {"region": (args.get("region") or "").strip(),
               "date_from": _date_arg(args, "date_from"), "date_to": _date_arg(args, "date_to")}
    filters.update({f.name: f.parse(args) for f in kinds.get(kind).filters})
    return filters


def _region_condition(kind, region: str):
    """Records about an agency in ``region``; for a kind whose party may be unregistered,
    also the records without an agency that a bureau in ``region`` published."""
    cond = area_condition(Agency.division_code, region)
    if cond is None or not kind.agency_optional:
        return cond
    return or_(cond, and_(kind.model.agency_id.is_(None), area_condition(Bureau.code, region)))


def record_query(kind: str, filters: dict | None = None):
    """Public records of ``kind`` matching the filters, newest first."""
    filters = filters or {}
    record_kind = kinds.get(kind)
    model = record_kind.model
    date_col = getattr(model, record_kind.date_field)
    q = select(model).where(model.public_filter())
    cond = _region_condition(record_kind, filters.get("region"))
    if cond is not None:
        q = q.outerjoin(Agency, Agency.id == model.agency_id)
        if record_kind.agency_optional:
            q = q.outerjoin(Bureau, Bureau.id == model.bureau_id)
        q = q.where(cond)
    if filters.get("date_from"):
        q = q.where(date_col >= filters["date_from"])
    if filters.get("date_to"):
        q = q.where(date_col <= filters["date_to"])
    for f in record_kind.filters:
        if filters.get(f.name):
            q = q.where(f.condition(model, filters[f.name]))
    # the rows name each record's agency: one query for the page, not one per row
    return q.order_by(date_col.desc(), model.id.desc()).options(joinedload(model.agency))


def cached_total(name: str, filters: dict, query) -> int:
    """The number of rows of a list's ``query``, from the shared cache (per data version):
    unfiltered, the public count; filtered, counted once per filter set."""
    from .caching import cached

    if not any(filters.values()):
        return home_counts()[name]
    key = "total:" + name + ":" + "&".join(f"{k}={v}" for k, v in sorted(filters.items()) if v)
    return cached(key, lambda: db.session.scalar(
        query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)),
        timeout=3600)


def record_page(kind: str, filters: dict, page: int) -> Page:
    """A page of public records; the total comes from the shared cache."""
    query = record_query(kind, filters)
    return paginate(query, page,
                    total=cached_total(kinds.get(kind).counted_as, filters, query))


def agency_records(agency: Agency) -> dict[str, list]:
    """Public records of each kind for an agency, newest first."""
    out = {}
    for kind in kinds.KINDS:
        model = kind.model
        order = getattr(model, kind.agency_order or kind.date_field)
        out[kind.key] = list(db.session.scalars(
            select(model).where(model.agency_id == agency.id, model.public_filter())
            .order_by(order.desc(), model.id.desc())))
    return out


def agency_summary(agency: Agency, records: dict[str, list],
                   on: dt.date | None = None) -> list[str]:
    """Plain-language sentences: penalties in the last 3 years, lists, last spot check, grade."""
    on = on or today_cn()
    since = add_months(on, -36)
    lines = []
    recent = [p for p in records["penalty"] if p.decided_on >= since]
    if recent:
        lines.append(ngettext("近三年受到 %(num)s 次行政处罚", "近三年受到 %(num)s 次行政处罚",
                              len(recent)))
    else:
        lines.append(_("近三年没有公示中的行政处罚"))
    active = [e for e in records["list_entry"] if e.removed_on is None]
    for list_kind, label in vocab.LIST_KINDS.items():
        entries = sorted((e for e in active if e.list_kind == list_kind),
                         key=lambda e: e.included_on)
        if entries:
            lines.append(_("自 %(date)s 起被列入%(list)s", date=entries[0].included_on.isoformat(),
                           list=str(label)))
    if not active:
        removed = [e for e in records["list_entry"] if e.removed_on is not None]
        if removed:
            lines.append(_("曾被列入经营异常名录，已于 %(date)s 移出",
                           date=max(e.removed_on for e in removed).isoformat()))
        else:
            lines.append(_("未被列入经营异常名录或严重违法失信名单"))
    checks = records["spot_check"]
    if checks:
        last = checks[0]
        lines.append(_("最近一次抽查检查（%(date)s）：%(result)s",
                       date=last.completed_on.isoformat(), result=vocab.label(last.result)))
    grades = records["credit_grade"]
    if grades:
        lines.append(_("%(period)s 年度信用评价等级：%(grade)s", period=grades[0].period,
                       grade=grades[0].grade))
    return lines


# -- counts (home page, open data, unfiltered list totals) ----------------------
#
# Derived data (count(*) of the tables under the publication rule), not a second source
# of truth.  Counting 600k+ records is the slowest part of the home page, so the counts
# are kept in the shared cache under the register's data version (``caching``): computed
# once per publish (and per day: the publication window moves at midnight), by whichever
# request comes first, and never recomputed on a timer.


def _compute_counts() -> dict[str, int]:
    counts = {kinds.AGENCY.counted_as: db.session.scalar(select(func.count()).select_from(Agency)),
              kinds.AGENT.counted_as: db.session.scalar(select(func.count()).select_from(Agent))}
    for kind in kinds.KINDS:
        counts[kind.counted_as] = db.session.scalar(
            select(func.count()).select_from(kind.model).where(kind.model.public_filter()))
    return counts


def home_counts() -> dict[str, int]:
    """Number of agencies and of public records of each kind (shared cache, see above)."""
    from .caching import cached

    return dict(cached("counts", _compute_counts))


def forget_counts() -> None:
    """Drop the cached counts of the current data version (a kind declared at run time)."""
    from .caching import forget

    forget("counts")


def latest_publications(limit: int = 10) -> list:
    items = []
    for kind in kinds.KINDS:
        model = kind.model
        q = (select(model).where(model.public_filter())
             .order_by(model.published_on.desc(), model.id.desc()).limit(limit)
             .options(joinedload(model.agency)))  # the page names each record's agency
        items.extend(db.session.scalars(q))
    items.sort(key=lambda r: (r.published_on, r.id), reverse=True)
    return items[:limit]


def bureau_tree() -> list[Bureau]:
    return list(db.session.scalars(select(Bureau).where(Bureau.active.is_(True))
                                   .order_by(Bureau.code)))


def agency_counts_by_bureau() -> dict[int, int]:
    rows = db.session.execute(select(Agency.bureau_id, func.count()).group_by(Agency.bureau_id))
    return dict(rows.all())


# -- open-data export ------------------------------------------------------------

EXPORT_BATCH = 2000


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _export_column(model, field: str):
    """The selectable for one export field (dates as text: SQLite stores ISO strings)."""
    col = getattr(model, field)
    if isinstance(col.type, Date):
        # Skip the driver/ORM date parsing: SQLite hands back the stored ISO text as is,
        # PostgreSQL hands back a date, which _cell() formats the same way.
        return type_coerce(col, String)
    return col


def _published_labels(dataset: Dataset) -> dict[str, dict[str, str]]:
    """field -> {stored key: published wording} for the columns that have one."""
    return {c.field: {k: str(v) for k, v in c.labels.items()}
            for c in dataset.columns if c.labels is not None}


def export_rows(kind: str) -> Iterator[list[str]]:
    """Rows of the open-data CSV of ``kind`` (agencies, or public records only), in the
    order of the kind's columns.

    Streams plain column tuples in batches (server-side cursor where the driver has
    one) instead of ORM objects; the output is the import format, so a download
    re-imports unchanged.
    """
    dataset = kinds.dataset(kind)
    if dataset is kinds.AGENCY:
        yield from _export_agencies(dataset)
        return
    if dataset is kinds.AGENT:
        yield from _export_agents(dataset)
        return
    model = dataset.model
    labels = _published_labels(dataset)
    selected, mappers = [], []
    for col in dataset.columns:
        if col.field == "agency_uscc":
            selected.append(Agency.uscc)
        elif col.field == "agency_name":
            selected.append(Agency.name)
        elif col.field == "agent_certificate_no" and not hasattr(
                model.__table__.c, "agent_certificate_no"):
            selected.append(Agent.certificate_no)  # the penalty's agent (a join)
        else:
            selected.append(_export_column(model, col.field))
        mappers.append(labels.get(col.field))
    query = (select(*selected).select_from(model)
             .outerjoin(Agency, Agency.id == model.agency_id)
             .where(model.public_filter()).order_by(model.id))
    if any(getattr(c, "table", None) is Agent.__table__ for c in selected):
        query = query.outerjoin(Agent, Agent.id == model.agent_id)
    result = db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))
    for row in result:
        yield [_cell(v) if m is None else m.get(v, v) for v, m in zip(row, mappers, strict=True)]


def _export_agencies(dataset: Dataset) -> Iterator[list[str]]:
    cols = dataset.columns
    labels = _published_labels(dataset)
    selected = [Agency.id]
    for col in cols:
        if col.field == "bureau_code":
            selected.append(Bureau.code)
        elif col.field == "former_names":
            selected.append(null())  # filled from the batch query below
        else:
            selected.append(_export_column(Agency, col.field))
    fields = [c.field for c in cols]
    query = (select(*selected).select_from(Agency).outerjoin(Bureau, Bureau.id == Agency.bureau_id)
             .order_by(Agency.id))
    result = db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))
    for batch in result.partitions():
        former: dict[int, list[str]] = {}
        for agency_id, name in db.session.execute(
                select(AgencyFormerName.agency_id, AgencyFormerName.name)
                .where(AgencyFormerName.agency_id.between(batch[0][0], batch[-1][0]))
                .order_by(AgencyFormerName.agency_id, AgencyFormerName.until,
                          AgencyFormerName.id)):
            former.setdefault(agency_id, []).append(name)
        for row in batch:
            out = []
            for field, value in zip(fields, row[1:], strict=True):
                if field == "former_names":
                    out.append("；".join(former.get(row[0], ())))
                elif field == "branches":
                    out.append("；".join((value or "").splitlines()))
                elif field in labels:
                    out.append(str(labels[field][value]))
                else:
                    out.append(_cell(value))
            yield out


def _export_agents(dataset: Dataset) -> Iterator[list[str]]:
    """issue 14 — patent agents: every agent, the current agency's USCC and name, and the
    first day of the current period (so that a download re-imports unchanged)."""
    labels = _published_labels(dataset)
    since = (select(AgentPractice.started_on)
             .where(AgentPractice.agent_id == Agent.id, AgentPractice.agency_id == Agent.agency_id,
                    AgentPractice.ended_on.is_(None))
             .order_by(AgentPractice.id.desc()).limit(1).scalar_subquery())
    columns = {"name": Agent.name, "certificate_no": Agent.certificate_no,
               "agency_uscc": Agency.uscc, "agency_name": Agency.name, "status": Agent.status,
               "certified_on": _export_column(Agent, "certified_on"),
               "practice_since": type_coerce(since, String)}
    fields = [c.field for c in dataset.columns]
    query = (select(*(columns[f] for f in fields)).select_from(Agent)
             .outerjoin(Agency, Agency.id == Agent.agency_id).order_by(Agent.id))
    result = db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))
    for row in result:
        yield [str(labels[f].get(v, v)) if f in labels else _cell(v)
               for f, v in zip(fields, row, strict=True)]


# -- patent agents (issue 14) ---------------------------------------------------------

def agent_filters(args) -> dict:
    """The agents list's filter: a name or a certificate number (part of either)."""
    return {"q": (args.get("q") or "").strip()[:60]}


def agents_query(filters: dict):
    """Agents matching the filter, by name then certificate number (two agents of the same
    name are told apart by certificate number and agency: the rows load the agency)."""
    q = select(Agent).options(joinedload(Agent.agency))
    if filters.get("q"):
        like = _like(filters["q"])
        q = q.where(or_(Agent.name.like(like, escape="\\"),
                        Agent.certificate_no.like(_like(filters["q"].upper()), escape="\\")))
    return q.order_by(Agent.name, Agent.certificate_no)


def agents_page(filters: dict, page: int) -> Page:
    return paginate(agents_query(filters), page)


def agent_by_certificate(certificate_no: str) -> Agent | None:
    """The agent with a certificate number, with its agency and its practice history."""
    return db.session.scalar(
        select(Agent).where(Agent.certificate_no == certificate_no)
        .options(joinedload(Agent.agency),
                 selectinload(Agent.practices).joinedload(AgentPractice.agency)))


def agent_history(agent: Agent) -> list[AgentPractice]:
    """The agent's periods of practice, the latest first (a start not known: the oldest)."""
    return sorted(agent.practices, key=lambda p: (p.started_on or dt.date.min, p.id),
                  reverse=True)


def agent_penalties(agent: Agent) -> list[Penalty]:
    """The public penalties against the agent (the publication window as for every record),
    newest first, with the agency at the time."""
    return list(db.session.scalars(
        select(Penalty).where(Penalty.agent_id == agent.id, Penalty.public_filter())
        .order_by(Penalty.decided_on.desc(), Penalty.id.desc())
        .options(joinedload(Penalty.agency))))


def agency_agents(agency: Agency) -> list:
    """The agents practising in ``agency`` now, by name, each with the first day of the
    current period (``since``; None when not known): one query."""
    since = (select(AgentPractice.started_on)
             .where(AgentPractice.agent_id == Agent.id, AgentPractice.agency_id == agency.id,
                    AgentPractice.ended_on.is_(None))
             .order_by(AgentPractice.id.desc()).limit(1).scalar_subquery())
    return list(db.session.execute(
        select(Agent.name, Agent.certificate_no, Agent.status, since.label("since"))
        .where(Agent.agency_id == agency.id)
        .order_by(Agent.name, Agent.certificate_no)).all())


# -- history -----------------------------------------------------------------------

# Agency fields whose changes the profile's 变更记录 shows (as GSXT does).
AGENCY_CHANGE_FIELDS = ("name", "address", "legal_rep", "status")


def history(subject: str, subject_id: int) -> list[RegisterEvent]:
    """Every history entry of an agency ("agency") or a record (its kind), oldest first."""
    return list(db.session.scalars(
        select(RegisterEvent).where(RegisterEvent.subject == subject,
                                    RegisterEvent.subject_id == subject_id)
        .options(joinedload(RegisterEvent.actor)).order_by(RegisterEvent.id)))


@dataclass
class PublicChange:
    on: dt.date
    action: str  # created / edited / withdrawn / repaired / removed / merged
    fields: list[str]  # labels of the fields that changed
    reason: str | None


def public_history(record) -> list[PublicChange]:
    """What the public page of a record says about it: published on, corrected on (which
    fields), withdrawn / repaired on (with the reason), removed on."""
    kind = kinds.of(record)
    out = [PublicChange(record.published_on, "created", [], None)]
    for entry in history(kind.key, record.id):
        if entry.action == "created":
            continue
        fields = [kind.label_of(f) for f in (entry.changes or {})
                  if f in kind.labels and f not in ("status",)]
        if entry.action == "edited" and not fields:
            continue
        out.append(PublicChange(entry.at.date(), entry.action, fields, entry.reason))
    return out


@dataclass
class AgencyChange:
    on: dt.date
    field: str  # its label
    old: str
    new: str


def agency_changes(agency: Agency) -> list[AgencyChange]:
    """The agency's 变更记录: changes of name, address, legal representative and status,
    newest first."""
    labels = kinds.AGENCY.labels
    statuses = {k: str(v) for k, v in vocab.AGENCY_STATUSES.items()}
    out = []
    for entry in history("agency", agency.id):
        for f in AGENCY_CHANGE_FIELDS:
            if entry.changes and f in entry.changes:
                old, new = entry.changes[f]
                if f == "status":
                    old, new = statuses.get(old, old), statuses.get(new, new)
                out.append(AgencyChange(entry.at.date(), str(labels[f]), old or "", new or ""))
    return out[::-1]
