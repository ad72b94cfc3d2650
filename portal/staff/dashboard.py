"""Dashboard for a bureau or the province: counts, medians, overdue, complaints per 1,000
agents by region, monthly trends (server-rendered SVG) and CSV export of each table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics

from flask import Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func

from intake import queries, workflow
from intake.models import OPEN_STATUSES, Tip

from ..auth import permissions
from ..auth.decorators import staff_required
from ..extensions import db
from ..register import divisions
from ..register.models import Agency, Bureau, Division
from ..security import neutralize_row
from ..timeutil import to_china, today
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


def _days(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 86400


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def _month(value: dt.datetime) -> str:
    return to_china(value).strftime("%Y-%m")


def _last_months(n: int, on: dt.date) -> list[str]:
    months, y, m = [], on.year, on.month
    for _ in range(n):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return months[::-1]


def compute(bureau_ids: list[int], area: Bureau, on: dt.date | None = None) -> dict:
    """Every figure of the dashboard for the bureaus ``bureau_ids`` and the region that
    ``area`` (a bureau) covers."""
    on = on or today()
    in_scope = Tip.bureau_id.in_(bureau_ids)
    by_status = dict(db.session.execute(
        db.select(Tip.status, func.count()).where(in_scope).group_by(Tip.status)).all())
    by_category = db.session.execute(
        db.select(Tip.category, func.count()).where(in_scope).group_by(Tip.category)
        .order_by(func.count().desc(), Tip.category)).all()
    by_bureau = db.session.execute(
        db.select(Bureau.code, Bureau.name, func.count(Tip.id))
        .join(Tip, Tip.bureau_id == Bureau.id).where(in_scope)
        .group_by(Bureau.code, Bureau.name).order_by(Bureau.code)).all()
    times = db.session.execute(
        db.select(Tip.created_at, Tip.accepted_at, Tip.concluded_at).where(in_scope)).all()
    overdue = db.session.scalar(db.select(func.count(Tip.id)).where(
        in_scope, queries.overdue_clause(on, province=area.code)))
    supervised = db.session.scalar(db.select(func.count(Tip.id)).where(
        in_scope, Tip.supervised.is_(True)))
    supervised_open = db.session.scalar(db.select(func.count(Tip.id)).where(
        in_scope, Tip.supervised.is_(True), Tip.status.in_(OPEN_STATUSES)))

    months = _last_months(12, on)
    received = dict.fromkeys(months, 0)
    concluded = dict.fromkeys(months, 0)
    for created, _accepted, done in times:
        if _month(created) in received:
            received[_month(created)] += 1
        if done is not None and _month(done) in concluded:
            concluded[_month(done)] += 1

    return {
        "total": sum(by_status.values()),
        "median_accept": _median(_days(c, a) for c, a, _d in times),
        "median_conclude": _median(_days(c, d) for c, _a, d in times),
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
                "rows": [[c, n] for c, n in by_category],
            },
            "bureau": {
                "title": _l("按承办部门"), "columns": [_l("机关代码"), _l("承办部门"), _l("件数")],
                "rows": [[code, name, n] for code, name, n in by_bureau],
            },
            "region": {
                "title": _l("近 12 个月每千名执业代理师被举报数（按地区）"),
                "columns": [_l("地区代码"), _l("地区"), _l("针对代理机构的举报"),
                            _l("执业代理师人数"), _l("每千人举报数（‰）")],
                "rows": _region_rows(area, on),
            },
            "trend": {
                "title": _l("近 12 个月趋势"),
                "columns": [_l("月份"), _l("收到"), _l("办结")],
                "rows": [[m, received[m], concluded[m]] for m in months],
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


def trend_svg(rows: list[list], title: str) -> dict:
    """Geometry of a grouped bar chart (received / concluded per month) for the template."""
    width, height, pad_left, pad_bottom, top = 640, 220, 36, 36, 12
    peak = max([1] + [max(r[1], r[2]) for r in rows])
    plot_h = height - pad_bottom - top
    slot = (width - pad_left) / max(1, len(rows))
    bars = []
    for i, (month, rec, done) in enumerate(rows):
        x = pad_left + i * slot
        for j, value in enumerate((rec, done)):
            h = plot_h * value / peak
            bars.append({"x": round(x + 4 + j * (slot - 8) / 2, 1), "y": round(top + plot_h - h, 1),
                         "w": round((slot - 8) / 2 - 1, 1), "h": round(h, 1), "series": j,
                         "label": f"{month}: {value}"})
    labels = [{"x": round(pad_left + i * slot + slot / 2, 1), "text": r[0][5:]}
              for i, r in enumerate(rows)]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "peak": peak,
            "base": top + plot_h, "left": pad_left, "top": top, "title": title}


@bp.get("/dashboard")
@staff_required
def dashboard():
    bureau, ids = _scope()
    data = compute(ids, bureau)
    trend = data["tables"]["trend"]
    return render_template("staff/dashboard.html", bureau=bureau, data=data,
                           chart=trend_svg(trend["rows"], str(trend["title"])),
                           bureaus=bureaus_in_reach(current_user), tables=TABLES)


@bp.get("/dashboard/<table>.csv")
@staff_required
def dashboard_csv(table):
    if table not in TABLES:
        abort(404)
    bureau, ids = _scope()
    spec = compute(ids, bureau)["tables"][table]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(neutralize_row(str(c) for c in spec["columns"]))
    for row in spec["rows"]:
        writer.writerow(neutralize_row("" if v is None else v for v in row))
    filename = f"dashboard-{bureau.code}-{table}.csv"
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
