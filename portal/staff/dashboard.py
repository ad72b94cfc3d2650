"""Dashboard for a bureau or the province: counts, medians, overdue, complaints per 1,000
agents by region, monthly trends (server-rendered SVG) and CSV export of each table."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from flask import Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func

from intake import queries, workflow
from intake.models import OPEN_STATUSES, Tip

from ..auth import permissions
from ..auth.decorators import tips_required
from ..extensions import db
from ..register import divisions, vocab
from ..register.models import Agency, Bureau, Division
from ..security import neutralize_row
from ..statistics import charts
from ..timeutil import CHINA_TZ, today
from .blueprint import bp
from .common import bureau_or_404, bureaus_in_reach, province_bureaus

TABLES = ("status", "category", "bureau", "region", "trend")


def _scope() -> tuple[Bureau, list[int]]:
    """The bureau whose figures are shown (?bureau=CODE; by default the user's own, the
    province for an administrator) and the ids of the bureaus counted: a provincial
    bureau chosen by code, or an administrator's province, counts every bureau of it."""
    code = (request.args.get("bureau") or "").strip()
    if code:
        bureau = bureau_or_404(code)
        if not permissions.can_view_dashboard(current_user, bureau):
            abort(403)
        if bureau.level == divisions.PROVINCE:
            return bureau, [b.id for b in province_bureaus(bureau)]
        return bureau, [bureau.id]
    bureau = current_user.bureau
    if permissions.is_provincial_admin(current_user):
        return bureau, [b.id for b in province_bureaus(bureau)]
    return bureau, [bureau.id]


def _months_between(first: dt.date, last: dt.date) -> list[str]:
    months, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return months


@dataclass(frozen=True)
class Period:
    """The dashboard's date range (China days, both included); None: open-ended."""

    first: dt.date | None = None
    last: dt.date | None = None

    @property
    def since(self) -> dt.datetime | None:
        return _utc_midnight(self.first) if self.first else None

    @property
    def until(self) -> dt.datetime | None:
        return _utc_midnight(self.last + dt.timedelta(days=1)) if self.last else None

    def where(self, column) -> list:
        return [c for c in (column >= self.since if self.first else None,
                            column < self.until if self.last else None) if c is not None]

    def args(self) -> dict:
        return {"from": self.first.isoformat() if self.first else None,
                "to": self.last.isoformat() if self.last else None}


def _utc_midnight(day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=CHINA_TZ)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def received_period(args) -> Period:
    """The date range of ?from=YYYY-MM-DD&to=YYYY-MM-DD (either may be missing)."""
    first, last = _date(args.get("from")), _date(args.get("to"))
    if first and last and first > last:
        first, last = last, first
    return Period(first, last)


def _trend_months(period: Period, on: dt.date) -> list[str]:
    """The months of the trend: those of the period (at most the last 36), else the last 12."""
    last = min(period.last or on, on)
    if period.first:
        months = _months_between(period.first, last)
        return months[-36:]
    return _last_months(12, last)


def _last_months(n: int, on: dt.date) -> list[str]:
    months, y, m = [], on.year, on.month
    for _ in range(n):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return months[::-1]


BUREAU_SORTS = ("code", "received", *queries.SUPERVISION_COLUMNS)


def _bureau_rows(bureau_ids: list[int], area: Bureau, period: Period, on: dt.date,
                 sort: str, descending: bool) -> list[list]:
    """The per-bureau supervision table (one row per bureau with any figure)."""
    bureaus = list(db.session.scalars(db.select(Bureau).where(Bureau.id.in_(bureau_ids))
                                      .order_by(Bureau.code)))
    received = dict(db.session.execute(
        db.select(Tip.bureau_id, func.count(Tip.id))
        .where(Tip.bureau_id.in_(bureau_ids), *period.where(Tip.created_at))
        .group_by(Tip.bureau_id)).all())
    rows = []
    for row in queries.supervision_table(bureaus, period.since, period.until, on):
        b = row["bureau"]
        figures = [received.get(b.id, 0), *(row[k] for k in queries.SUPERVISION_COLUMNS)]
        if any(figures):
            rows.append([b.code, b.name, *figures])
    if sort in BUREAU_SORTS:
        index = 0 if sort == "code" else 2 + BUREAU_SORTS.index(sort) - 1
        present = [r for r in rows if r[index] is not None]
        missing = [r for r in rows if r[index] is None]  # no median: always last
        rows = sorted(present, key=lambda r: (r[index], r[0]), reverse=descending) + missing
    return rows


def compute(bureau_ids: list[int], area: Bureau, on: dt.date | None = None,
            period: Period | None = None, sort: str = "code", descending: bool = False) -> dict:
    """Every figure of the dashboard for the bureaus ``bureau_ids`` and the region that
    ``area`` (a bureau) covers: tips received in ``period`` (all by default), except the
    current figures (open, overdue, supervised open), which are as of today."""
    on = on or today()
    period = period or Period()
    in_scope = Tip.bureau_id.in_(bureau_ids)
    received = [in_scope, *period.where(Tip.created_at)]
    by_status = dict(db.session.execute(
        db.select(Tip.status, func.count()).where(*received).group_by(Tip.status)).all())
    by_category = db.session.execute(
        db.select(Tip.category, func.count()).where(*received).group_by(Tip.category)
        .order_by(func.count().desc(), Tip.category)).all()
    overdue = db.session.scalar(db.select(func.count(Tip.id)).where(
        in_scope, queries.overdue_clause(on, province=area.code)))
    supervised = db.session.scalar(db.select(func.count(Tip.id)).where(
        *received, Tip.supervised.is_(True)))
    supervised_open = db.session.scalar(db.select(func.count(Tip.id)).where(
        in_scope, Tip.supervised.is_(True), Tip.status.in_(OPEN_STATUSES)))
    medians = {}
    for name, end in (("accept", Tip.accepted_at), ("conclude", Tip.concluded_at)):
        start_day, end_day = queries.china_day(Tip.created_at), queries.china_day(end)
        rows = db.session.execute(
            db.select(db.literal(0), start_day, end_day, func.count())
            .where(*received, end.is_not(None)).group_by(start_day, end_day)).all()
        median = queries.working_day_medians(rows, area.code).get(0)
        medians[name] = None if median is None else round(median, 1)

    months = _trend_months(period, on)
    trend = {m: [0, 0] for m in months}
    for column, i in ((Tip.created_at, 0), (Tip.concluded_at, 1)):
        day = queries.china_day(column)
        for value, n in db.session.execute(
                db.select(day, func.count()).where(in_scope, column.is_not(None))
                .group_by(day)).all():
            month = str(value)[:7]
            if month in trend:
                trend[month][i] += n

    return {
        "total": sum(by_status.values()),
        "median_accept": medians["accept"],
        "median_conclude": medians["conclude"],
        "overdue": overdue,
        "supervised": supervised,
        "supervised_open": supervised_open,
        "tables": {
            "status": {
                "title": _l("按状态"), "columns": [_l("状态"), _l("件数")],
                "rows": [[str(label), by_status.get(key, 0)]
                         for key, label in workflow.STATUSES.items()],
            },
            "category": {
                "title": _l("按类别"), "columns": [_l("类别"), _l("件数")],
                "rows": [[vocab.label(c), n] for c, n in by_category],
            },
            "bureau": {
                "title": _l("各承办部门督办表"),
                "columns": [_l("机关代码"), _l("承办部门"), _l("收到（件）"), _l("未办结（当前）"),
                            _l("受理超期（当前）"), _l("核查超期（当前）"),
                            _l("受理用时中位数（工作日，自进入本部门队列）"),
                            _l("办结用时中位数（工作日，自收到之日起）"), _l("延期（件）"),
                            _l("移入（件）"), _l("移出（件）"), _l("督办（件）")],
                "sorts": ["code", None, *BUREAU_SORTS[1:]],
                "rows": _bureau_rows(bureau_ids, area, period, on, sort, descending),
            },
            "region": {
                "title": _l("近 12 个月每千名执业代理师被举报数（按地区）"),
                "columns": [_l("地区代码"), _l("地区"), _l("针对代理机构的举报"),
                            _l("执业代理师人数"), _l("每千人举报数（‰）")],
                "rows": _region_rows(area, on),
            },
            "trend": {
                "title": _l("每月趋势"),
                "columns": [_l("月份"), _l("收到"), _l("办结")],
                "rows": [[m, *trend[m]] for m in months],
            },
        },
    }


def _region_rows(area: Bureau, on: dt.date) -> list[list]:
    """Complaints against registered agencies received in the last 12 months per 1,000
    practising agents, by city (by district inside a city's or district's area).  The
    seeds track this indicator per year (target: 2‰)."""
    since = dt.datetime.combine(on - dt.timedelta(days=365), dt.time())
    in_area = divisions.sql_within(Agency.division_code, area.code, area.level)
    by_city = area.level == divisions.PROVINCE
    agents = db.session.execute(
        db.select(Agency.division_code, func.coalesce(func.sum(Agency.agent_count), 0))
        .where(in_area, Agency.status == "practising").group_by(Agency.division_code)).all()
    tips = db.session.execute(
        db.select(Agency.division_code, func.count(Tip.id)).join(Agency, Tip.agency_id == Agency.id)
        .where(in_area, Tip.created_at >= since).group_by(Agency.division_code)).all()
    totals: dict[str, list[int]] = {}  # region code -> [tips, agents]
    for column, pairs in ((1, agents), (0, tips)):
        for code, n in pairs:
            region = divisions.city_of(code) if by_city else code
            totals.setdefault(region, [0, 0])[column] += int(n or 0)
    names = dict(db.session.execute(
        db.select(Division.code, Division.name).where(Division.code.in_(totals))).all())
    rows = []
    for code in sorted(totals):
        count, people = totals[code]
        rate = round(count * 1000 / people, 2) if people else None
        rows.append([code, names.get(code, code), count, people, rate])
    return rows


def _sort_args(args) -> tuple[str, bool]:
    sort = args.get("sort", "code")
    return (sort if sort in BUREAU_SORTS else "code"), args.get("dir") == "desc"


def work_links(bureau: Bureau, bureau_ids: list[int]) -> dict:
    """Arguments of the work view (staff.work) showing the tips a card counts."""
    return {} if len(bureau_ids) > 1 else {"bureau": bureau.code}


@bp.get("/dashboard")
@tips_required
def dashboard():
    bureau, ids = _scope()
    period = received_period(request.args)
    sort, descending = _sort_args(request.args)
    data = compute(ids, bureau, period=period, sort=sort, descending=descending)
    trend = data["tables"]["trend"]
    chart = charts.column_chart(
        [r[0][2:] for r in trend["rows"]],
        [(str(_l("收到")), [r[1] for r in trend["rows"]]),
         (str(_l("办结")), [r[2] for r in trend["rows"]])], str(trend["title"]))
    return render_template("staff/dashboard.html", bureau=bureau, data=data, chart=chart,
                           bureaus=bureaus_in_reach(current_user), tables=TABLES,
                           period=period, sort=sort, descending=descending,
                           work=work_links(bureau, ids),
                           work_total={**work_links(bureau, ids), "status": "all",
                                       **{k: v for k, v in period.args().items() if v}})


@bp.get("/dashboard/<table>.csv")
@tips_required
def dashboard_csv(table):
    if table not in TABLES:
        abort(404)
    bureau, ids = _scope()
    sort, descending = _sort_args(request.args)
    spec = compute(ids, bureau, period=received_period(request.args), sort=sort,
                   descending=descending)["tables"][table]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(neutralize_row(str(c) for c in spec["columns"]))
    for row in spec["rows"]:
        writer.writerow(neutralize_row("" if v is None else v for v in row))
    filename = f"dashboard-{bureau.code}-{table}.csv"
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
