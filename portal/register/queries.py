"""Read-side queries of the public register (no state changes).

Filters parse request args into SQLAlchemy conditions; the one definition of the
"current grade" (the latest public credit grade by period) lives here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from math import ceil

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, func, or_, select

from ..extensions import db
from ..timeutil import today as today_cn
from . import vocab
from .models import (
    RECORD_MODELS,
    Agency,
    Bureau,
    CreditGrade,
    Division,
    ListEntry,
    Penalty,
    SpotCheck,
)
from .services import add_months, parse_date

PER_PAGE = 20
SERVED_PREFIXES = ("14", "31", "4107")


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, size: int = 2) -> list[int | None]:
        """Page numbers to show, None for a gap: 1 … 4 5 [6] 7 8 … 20."""
        shown = sorted({1, self.pages, *range(max(1, self.page - size),
                                              min(self.pages, self.page + size) + 1)})
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def page_number(args) -> int:
    try:
        return max(1, int(args.get("page", 1)))
    except (TypeError, ValueError):
        return 1


def paginate(query, page: int, per_page: int = PER_PAGE) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, ceil(total / per_page))
    page = min(page, pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


# -- regions -------------------------------------------------------------------

def region_condition(column, code: str | None):
    """Condition that ``column`` (a division code) lies within division ``code`` at any level."""
    if not code:
        return None
    division = db.session.get(Division, code)
    if division is None:
        return None
    if division.level == "province":
        return column.like(code[:2] + "%")
    if division.level == "city":
        return column.like(code[:4] + "%")
    return column == code


def region_options() -> list[tuple[str, str, int]]:
    """(code, name, depth) of the served provinces, cities and districts, in tree order."""
    conds = [Division.code.like(p + "%") for p in SERVED_PREFIXES]
    rows = db.session.scalars(select(Division).where(or_(*conds)).order_by(Division.code))
    depth = {"province": 0, "city": 1, "district": 2}
    out = []
    for d in rows:
        if d.code.startswith("41") and d.code[:4] != "4107" and d.level != "province":
            continue
        out.append((d.code, d.name, depth.get(d.level, 2)))
    if not any(c == "410000" for c, _n, _d in out):
        henan = db.session.get(Division, "410000")
        if henan:
            out.insert(next((i for i, (c, *_r) in enumerate(out) if c.startswith("41")), len(out)),
                       (henan.code, henan.name, 0))
    return out


# -- current grade -------------------------------------------------------------

def latest_grade_subquery(on: dt.date | None = None):
    """(agency_id, grade, period) of each agency's latest public credit grade."""
    latest = (select(CreditGrade.agency_id, func.max(CreditGrade.period).label("period"))
              .where(CreditGrade.public_filter(on)).group_by(CreditGrade.agency_id).subquery())
    return (select(CreditGrade.agency_id, CreditGrade.grade, CreditGrade.period)
            .join(latest, and_(latest.c.agency_id == CreditGrade.agency_id,
                               latest.c.period == CreditGrade.period))
            .where(CreditGrade.public_filter(on)).subquery())


def current_grade(agency: Agency) -> CreditGrade | None:
    return db.session.scalar(
        select(CreditGrade).where(CreditGrade.agency_id == agency.id, CreditGrade.public_filter())
        .order_by(CreditGrade.period.desc()).limit(1))


def current_grades(agency_ids) -> dict[int, str]:
    if not agency_ids:
        return {}
    sub = latest_grade_subquery()
    rows = db.session.execute(select(sub.c.agency_id, sub.c.grade)
                              .where(sub.c.agency_id.in_(list(agency_ids))))
    return dict(rows.all())


# -- agency directory ----------------------------------------------------------

def directory_filters(args) -> dict:
    return {
        "region": (args.get("region") or "").strip(),
        "kind": args.get("kind") if args.get("kind") in vocab.AGENCY_KINDS else "",
        "status": args.get("status") if args.get("status") in vocab.AGENCY_STATUSES else "",
        "grade": args.get("grade") if args.get("grade") in (*vocab.CREDIT_GRADES, "none") else "",
    }


def directory_query(filters: dict):
    q = select(Agency)
    cond = region_condition(Agency.division_code, filters.get("region"))
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
        sub = latest_grade_subquery()
        if grade == "none":
            q = q.where(Agency.id.not_in(select(sub.c.agency_id)))
        else:
            q = q.where(Agency.id.in_(select(sub.c.agency_id).where(sub.c.grade == grade)))
    return q.order_by(Agency.name, Agency.id)


# -- record lists ----------------------------------------------------------------

DATE_COLUMNS = {"spot_check": "completed_on", "penalty": "decided_on",
                "credit_grade": "evaluated_on", "list_entry": "included_on"}


def _date_arg(args, name):
    value = args.get(name)
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def record_filters(kind: str, args) -> dict:
    f = {"region": (args.get("region") or "").strip(),
         "date_from": _date_arg(args, "date_from"), "date_to": _date_arg(args, "date_to")}
    if kind == "spot_check":
        f["check_type"] = args.get("check_type") if args.get("check_type") in vocab.SPOT_CHECK_TYPES else ""
        f["result"] = args.get("result") if args.get("result") in vocab.SPOT_CHECK_RESULTS else ""
    elif kind == "penalty":
        f["violation_type"] = args.get("violation_type") if args.get("violation_type") in vocab.VIOLATION_TYPES else ""
        f["penalty_kind"] = args.get("penalty_kind") if args.get("penalty_kind") in vocab.PENALTY_KINDS else ""
    elif kind == "credit_grade":
        f["grade"] = args.get("grade") if args.get("grade") in vocab.CREDIT_GRADES else ""
        f["period"] = (args.get("period") or "").strip()[:20]
    elif kind == "list_entry":
        f["list_kind"] = args.get("list_kind") if args.get("list_kind") in vocab.LIST_KINDS else ""
        f["active"] = args.get("active") if args.get("active") in ("1", "0") else ""
    return f


def record_query(kind: str, filters: dict | None = None):
    """Public records of ``kind`` matching the filters, newest first."""
    filters = filters or {}
    model = RECORD_MODELS[kind]
    date_col = getattr(model, DATE_COLUMNS[kind])
    q = select(model).where(model.public_filter())
    region = filters.get("region")
    if region:
        cond = region_condition(Agency.division_code, region)
        if cond is not None:
            q = q.outerjoin(Agency, Agency.id == model.agency_id)
            if model is Penalty:
                bcond = region_condition(Bureau.code, region)
                q = q.outerjoin(Bureau, Bureau.id == model.bureau_id).where(
                    or_(cond, and_(model.agency_id.is_(None), bcond)))
            else:
                q = q.where(cond)
    if filters.get("date_from"):
        q = q.where(date_col >= filters["date_from"])
    if filters.get("date_to"):
        q = q.where(date_col <= filters["date_to"])
    if kind == "spot_check":
        if filters.get("check_type"):
            q = q.where(SpotCheck.check_type == filters["check_type"])
        if filters.get("result"):
            q = q.where(SpotCheck.result == filters["result"])
    elif kind == "penalty":
        if filters.get("violation_type"):
            q = q.where(Penalty.violation_type == filters["violation_type"])
        if filters.get("penalty_kind"):
            q = q.where(Penalty.penalty_kinds.contains(filters["penalty_kind"]))
    elif kind == "credit_grade":
        if filters.get("grade"):
            q = q.where(CreditGrade.grade == filters["grade"])
        if filters.get("period"):
            q = q.where(CreditGrade.period == filters["period"])
    elif kind == "list_entry":
        if filters.get("list_kind"):
            q = q.where(ListEntry.list_kind == filters["list_kind"])
        if filters.get("active") == "1":
            q = q.where(ListEntry.removed_on.is_(None))
        elif filters.get("active") == "0":
            q = q.where(ListEntry.removed_on.is_not(None))
    return q.order_by(date_col.desc(), model.id.desc())


def agency_records(agency: Agency) -> dict[str, list]:
    """Public records of each kind for an agency, newest first."""
    out = {}
    for kind, model in RECORD_MODELS.items():
        date_col = getattr(model, DATE_COLUMNS[kind])
        order = (model.period.desc(),) if model is CreditGrade else (date_col.desc(),)
        out[kind] = list(db.session.scalars(
            select(model).where(model.agency_id == agency.id, model.public_filter())
            .order_by(*order, model.id.desc())))
    return out


def agency_summary(agency: Agency, records: dict[str, list], on: dt.date | None = None) -> list[str]:
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
        entries = sorted((e for e in active if e.list_kind == list_kind), key=lambda e: e.included_on)
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
                       date=last.completed_on.isoformat(), result=last.result))
    grades = records["credit_grade"]
    if grades:
        lines.append(_("%(period)s 年度信用评价等级：%(grade)s", period=grades[0].period,
                       grade=grades[0].grade))
    return lines


def home_counts() -> dict[str, int]:
    counts = {"agencies": db.session.scalar(select(func.count()).select_from(Agency))}
    for kind, model in RECORD_MODELS.items():
        counts[kind] = db.session.scalar(select(func.count()).select_from(model)
                                         .where(model.public_filter()))
    return counts


def latest_publications(limit: int = 10) -> list:
    items = []
    for model in RECORD_MODELS.values():
        items.extend(db.session.scalars(select(model).where(model.public_filter())
                                        .order_by(model.published_on.desc(), model.id.desc())
                                        .limit(limit)))
    items.sort(key=lambda r: (r.published_on, r.id), reverse=True)
    return items[:limit]


def bureau_tree() -> list[Bureau]:
    return list(db.session.scalars(select(Bureau).where(Bureau.active.is_(True))
                                   .order_by(Bureau.code)))


def agency_counts_by_bureau() -> dict[int, int]:
    rows = db.session.execute(select(Agency.bureau_id, func.count()).group_by(Agency.bureau_id))
    return dict(rows.all())
