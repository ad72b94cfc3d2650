"""The figures of the public statistics page (投诉举报处理暂行办法 art. 34), computed in SQL
with GROUP BY (a few thousand rows at most reach Python, whatever the number of tips) and
cached; ``suppression`` hides small numbers before anything is shown.

Which tips count: the tips *received* in the chosen months (China time), except the
monthly "concluded" series, which counts the tips concluded in each month.  Deadlines are
the workflow's (intake.workflow): acceptance within 7 working days of reaching the
competent bureau, verification within 15 working days of acceptance (+15 when extended),
so "accepted in time" compares the day of acceptance with the tip's ``accept_due``.
Medians count working days in the national calendar (intake.calendar), from receipt.

Speed: the days and working-day durations come stored on the tip (intake.durations, set
by the workflow when each happens), so each figure is a grouped count over one index of
``models`` (bench/tip_statistics.py: at 100k tips, well under 200 ms for any range).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Date, case, event, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from intake import queries as tip_queries
from intake.models import Tip, TipEvent, TipStatus
from portal.extensions import db
from portal.register import divisions
from portal.register.models import Agency, Bureau, Division
from portal.timeutil import CHINA_TZ, today

from . import models as _indexes  # noqa: F401 - the indexes the queries rely on
from . import suppression

CACHE_TTL = 300.0  # seconds: other worker processes see a change within this long
TARGET_PER_MILLE = 2.0  # the seeds' indicator: complaints per practising agent, 2‰ by 2025
TOP_AGENCIES = 10
MAX_MONTHS = 60
_generation = 0


@dataclass(frozen=True)
class Filters:
    start: dt.date  # first day of the first month
    end: dt.date  # first day of the last month (inclusive)
    region: str = ""  # a division code to drill into ("" for every province)

    @property
    def months(self) -> list[str]:
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y, m + 1) if m < 12 else (y + 1, 1)
        return out

    @property
    def since(self) -> dt.datetime:
        return _utc(self.start)

    @property
    def after(self) -> dt.date:
        """The first day after the last month."""
        return _add_months(self.end, 1)

    @property
    def until(self) -> dt.datetime:
        return _utc(self.after)


def _utc(day: dt.date) -> dt.datetime:
    """China midnight of ``day`` as the naive UTC datetime the tip columns store."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=CHINA_TZ)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _month(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{(text or '').strip()[:7]}-01")
    except ValueError:
        return None


def parse_filters(args) -> Filters:
    """Months from ?from=YYYY-MM&to=YYYY-MM (default: the last 12 months) and ?region=."""
    now = today().replace(day=1)
    end = _month(args.get("to")) or now
    end = min(end, now)
    start = _month(args.get("from")) or dt.date(end.year - 1 + (end.month == 12),
                                                 end.month % 12 + 1, 1)
    start = min(start, end)
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        start = dt.date(end.year - MAX_MONTHS // 12, end.month, 1)
    region = (args.get("region") or "").strip()
    if not divisions.is_code(region) or db.session.get(Division, region) is None:
        region = ""
    return Filters(start, end, region)


# -- the cache --------------------------------------------------------------------

def forget() -> None:
    """Make every cached figure stale (a tip changed in this process)."""
    global _generation
    _generation += 1


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session, _flush_context) -> None:
    if any(isinstance(obj, (Tip, TipEvent, Agency))
           for obj in (*session.new, *session.dirty, *session.deleted)):
        forget()


@event.listens_for(Session, "do_orm_execute")
def _forget_after_dml(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        mapper = state.bind_mapper
        if mapper is None or mapper.class_ in (Tip, TipEvent, Agency):
            forget()


def figures(f: Filters) -> dict:
    """Every figure of the page for ``f``, suppressed, from the cache when fresh (keyed by
    the filters; dropped when a tip changes here, and after CACHE_TTL in any case)."""
    cache = current_app.extensions.setdefault("statistics_cache", {})
    key = (f, today())
    hit = cache.get(key)
    now = time.monotonic()
    if hit is None or hit[0] != _generation or now - hit[1] > CACHE_TTL:
        generation = _generation
        if len(cache) > 256:
            cache.clear()
        hit = (generation, now, compute(f))
        cache[key] = hit
    return hit[2]


# -- computing ------------------------------------------------------------------------
#
# Every query reads the days and working-day durations the tip keeps for this purpose
# (intake.durations: set by the workflow when each happens), through the indexes of
# ``models``: no timestamp is converted to a China-time day here, no working day counted.

class scanned(FunctionElement):  # noqa: N801 - used like a SQL function
    """SQL: a date column, tested as the index being scanned is read, never used to seek
    one (SQLite: unary +, so that its planner reads the index in GROUP BY order instead
    of seeking the range and sorting its rows; elsewhere the column itself)."""

    type = Date()
    inherit_cache = True


@compiles(scanned)
def _scanned(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(scanned, "sqlite")
def _scanned_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


def _received(f: Filters, seek: bool = False):
    day = Tip.received_on if seek else scanned(Tip.received_on)
    return [day >= f.start, day < f.after]


def _grouped(column, *where) -> dict:
    return dict(db.session.execute(db.select(column, func.count()).where(*where)
                                   .group_by(column)).all())


def _per_month(days: dict, f: Filters) -> dict[str, int]:
    """{day: tips} summed per month of the filter."""
    out = dict.fromkeys(f.months, 0)
    for day, n in days.items():
        month = str(day)[:7]
        if month in out:
            out[month] += n
    return out


def _sum(*where):
    return func.coalesce(func.sum(case((db.and_(*where), 1), else_=0)), 0)


def _dimensions(f: Filters) -> list:
    """One scan of the tips received in ``f``: counts by category, bureau, outcome and
    status, each with the counts the timeliness shares need."""
    keys = (Tip.category, Tip.bureau_id, Tip.outcome, Tip.status)
    return db.session.execute(db.select(
        *keys, func.count(),
        _sum(Tip.accepted_on.is_not(None)),
        _sum(Tip.accepted_on <= Tip.accept_due),
        _sum(tip_queries.overdue_accept_clause()),
        _sum(Tip.concluded_on.is_not(None), Tip.verify_due.is_not(None)),
        _sum(Tip.concluded_on <= Tip.verify_due),
        _sum(tip_queries.overdue_verify_clause()),
    ).where(*_received(f)).group_by(*keys)).all()


def _by(rows, index: int, where=lambda row: True) -> dict:
    out: dict = {}
    for row in rows:
        if where(row):
            out[row[index]] = out.get(row[index], 0) + row[4]
    return out


def _durations(f: Filters) -> list:
    """(working days to accept, to conclude, tips) for the tips received in ``f``."""
    keys = (Tip.accept_working_days, Tip.conclude_working_days)
    return db.session.execute(db.select(*keys, func.count()).where(*_received(f))
                              .group_by(*keys)).all()


def compute(f: Filters) -> dict:
    """The published figures for ``f`` (numbers and codes; labels come later)."""
    dims = _dimensions(f)
    total = sum(row[4] for row in dims)
    by_month = {
        "received": _per_month(_grouped(Tip.received_on, *_received(f, seek=True)), f),
        "concluded": _per_month(_grouped(Tip.concluded_on, Tip.concluded_on >= f.start,
                                         Tip.concluded_on < f.after), f),
    }
    return {
        "filters": f,
        "total": total,
        "total_shown": suppression.publish(total),
        "months": [{"month": m, "received": r, "concluded": c} for m, (r, c) in zip(
            f.months, zip(*_protect_columns(by_month, f.months), strict=True), strict=True)],
        "categories": _table(_by(dims, 0)),
        "bureaus": _bureaus(_by(dims, 1)),
        "outcomes": _table(_by(dims, 2, lambda row: row[3] == TipStatus.CONCLUDED)),
        "timeliness": _timeliness(dims, _durations(f)),
        "regions": _regions(f),
        "agents": _agents(f),
        "top_agencies": _top_agencies(f),
    }


def _protect_columns(by_month: dict[str, dict[str, int]], months: list[str]):
    for series in ("received", "concluded"):
        shown = suppression.protect(by_month[series])
        yield [shown[m] for m in months]


def _table(counts: dict) -> list[dict]:
    """Rows (key, count as published), largest first; zero-count keys are left out."""
    shown = suppression.protect({k: n for k, n in counts.items() if n})
    order = sorted(shown, key=lambda k: (-counts[k] if not suppression.is_hidden(shown[k])
                                         else 0, str(k)))
    return [{"key": k, "count": shown[k]} for k in order]


def _bureaus(counts: dict[int, int]) -> list[dict]:
    rows = _table(counts)
    names = {b.id: b for b in db.session.scalars(
        db.select(Bureau).where(Bureau.id.in_([r["key"] for r in rows])))}
    return [{**r, "code": names[r["key"]].code, "name": names[r["key"]].name} for r in rows
            if r["key"] in names]


def _share(part: int, whole: int) -> dict:
    """A share of tips, shown only when the tips it is about are at least 5 (and so is
    what falls outside it: a share of "all but 1" would be a count of one)."""
    if whole < suppression.THRESHOLD or suppression.is_small(whole - part) or \
            suppression.is_small(part):
        return {"value": None, "of": suppression.publish(whole)}
    return {"value": round(100 * part / whole, 1), "of": whole}


def _timeliness(dims: list, durations: list) -> dict:
    sums = [sum(int(row[i]) for row in dims) for i in range(5, 11)]
    accepted, accepted_in_time, waiting_late, finished, finished_in_time, open_late = sums
    return {
        "accept": _share(accepted_in_time, accepted + waiting_late),
        "conclude": _share(finished_in_time, finished + open_late),
        "median_accept": _median([(row[0], row[2]) for row in durations]),
        "median_conclude": _median([(row[1], row[2]) for row in durations]),
    }


def _median(pairs: list) -> dict:
    """The median of (working days, tips) pairs, days None left out."""
    n = sum(count for days, count in pairs if days is not None)
    if n < suppression.THRESHOLD:
        return {"value": None, "of": suppression.publish(n)}
    return {"value": tip_queries.weighted_median(pairs), "of": n}


# -- regions ------------------------------------------------------------------------

def known_divisions() -> dict[str, tuple[str, str]]:
    cache = current_app.extensions.setdefault("statistics_divisions", {})
    if "all" not in cache:
        cache["all"] = {code: (name, level) for code, name, level in db.session.execute(
            db.select(Division.code, Division.name, Division.level))}
    return cache["all"]


def child_of(code: str | None, area: str, known) -> str | None:
    """The division directly under ``area`` ("" for the country) that ``code`` lies in."""
    if not code or not divisions.is_code(code):
        return None
    line = divisions.lineage(code, known)
    if not area:
        return line[0]
    if area not in line or line[-1] == area:
        return None
    return line[line.index(area) + 1]


def _rollup(counts: dict, area: str, known) -> dict[str, int]:
    out: dict[str, int] = {}
    for code, n in counts.items():
        child = child_of(code, area, known)
        if child is not None:
            out[child] = out.get(child, 0) + n
    return out


def area_path(area: str) -> list[str]:
    """The areas from the country down to ``area`` ("" first)."""
    return ["", *divisions.lineage(area, known_divisions())] if area else [""]


def _regions(f: Filters) -> dict:
    """Tips by place, one level under ``f.region``, protected along the path from the
    top: an area hidden on its parent's table keeps its total hidden below."""
    known = known_divisions()
    counts = _places(f)
    path = area_path(f.region)
    total_public = not suppression.is_small(sum(counts.values()))
    shown: dict = {}
    for depth, area in enumerate(path):
        level = _rollup(counts, area, known)
        shown = suppression.protect(level, total_public)
        if depth + 1 < len(path):
            total_public = not suppression.is_hidden(shown.get(path[depth + 1], 0))
    level = _rollup(counts, f.region, known)
    unplaced = sum(counts.values()) - sum(level.values()) if not f.region else None
    rows = [{"code": code, "name": known.get(code, (code, ""))[0], "count": shown[code],
             "drill": code in known and known[code][1] != divisions.DISTRICT}
            for code in sorted(level, key=lambda c: (suppression.is_hidden(shown[c]),
                                                     -level[c], c))]
    return {"rows": rows, "path": path, "area_total": (
        suppression.publish(sum(level.values())) if total_public else suppression.HIDDEN),
        "unplaced": suppression.publish(unplaced) if unplaced else 0}


def _places(f: Filters) -> dict:
    """{division: tips received in ``f``}, a tip counted where the conduct happened, else
    at the operator's domicile, else at the reported agency's registered division."""
    keys = (Tip.division_code, Tip.operator_division_code, Tip.agency_id)
    tips = db.select(*keys, func.count().label("n")).where(*_received(f)) \
        .group_by(*keys).subquery()
    place = func.coalesce(tips.c.division_code, tips.c.operator_division_code,
                          Agency.division_code)
    return {code: int(n) for code, n in db.session.execute(  # PostgreSQL sums: numeric
        db.select(place, func.sum(tips.c.n)).select_from(tips)
        .outerjoin(Agency, tips.c.agency_id == Agency.id).group_by(place))}


def _agents(f: Filters) -> list[dict]:
    """Tips against registered agencies in the 12 months up to the end of the range, per
    1,000 practising agents, by region one level under ``f.region`` (by the agency's
    registered division), against the 2‰ target."""
    known = known_divisions()
    since, after = _add_months(f.end, -11), f.after
    agents = dict(db.session.execute(
        db.select(Agency.division_code, func.coalesce(func.sum(Agency.agent_count), 0))
        .where(Agency.status == "practising").group_by(Agency.division_code)).all())
    day = scanned(Tip.received_on)
    per_agency = db.select(Tip.agency_id, func.count().label("n")).where(
        Tip.agency_id.is_not(None), day >= since, day < after).group_by(Tip.agency_id).subquery()
    tips = {code: int(n) for code, n in db.session.execute(
        db.select(Agency.division_code, func.sum(per_agency.c.n))
        .join(Agency, per_agency.c.agency_id == Agency.id)
        .group_by(Agency.division_code))}
    people, counts = _rollup(agents, f.region, known), _rollup(tips, f.region, known)
    shown = suppression.protect(counts)
    rows = []
    for code in sorted(set(people) | set(counts)):
        n, p = counts.get(code, 0), int(people.get(code, 0) or 0)
        cell = shown.get(code, 0)
        if not p:
            rate = None
        elif cell == suppression.SMALL:
            rate = f"<{round(suppression.THRESHOLD * 1000 / p, 2)}"
        elif cell == suppression.HIDDEN:
            rate = suppression.HIDDEN
        else:
            rate = round(n * 1000 / p, 2)
        over = isinstance(rate, float) and rate > TARGET_PER_MILLE
        rows.append({"code": code, "name": known.get(code, (code,))[0], "count": cell,
                     "agents": p, "rate": rate, "over": over})
    return rows


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _top_agencies(f: Filters) -> list[dict]:
    """Agencies with the most substantiated, concluded tips in the 12 months up to the end
    of the range (by conclusion date); only agencies with at least 5 such tips are named,
    so that no single tip's outcome becomes public."""
    since, after = _add_months(f.end, -11), f.after
    rows = db.session.execute(
        db.select(Agency.uscc, Agency.name, func.count().label("n"))
        .select_from(Tip).join(Agency, Tip.agency_id == Agency.id)
        .where(Tip.status == TipStatus.CONCLUDED, Tip.outcome == "substantiated",
               Tip.concluded_on >= since, Tip.concluded_on < after)
        .group_by(Agency.uscc, Agency.name)
        .having(func.count() >= suppression.THRESHOLD)
        .order_by(func.count().desc(), Agency.name).limit(TOP_AGENCIES)).all()
    return [{"uscc": uscc, "name": name, "count": n} for uscc, name, n in rows]

