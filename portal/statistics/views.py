"""/statistics/: the public page (charts with a table beside each, CSV per table, the
months as a filter and a drill-down by region).  Everything shown has been through
``suppression``; nothing about a single tip is public."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import lazy_gettext as _l

from intake import workflow

from ..register import vocab
from ..security import neutralize_row
from . import charts, queries, suppression

bp = Blueprint("statistics", __name__, url_prefix="/statistics")

TABLES = ("months", "categories", "regions", "bureaus", "outcomes", "timeliness", "agents",
          "agencies")


def _share_text(share: dict) -> str:
    return "—" if share["value"] is None else f"{share['value']}%"


def _median_text(median: dict) -> str:
    return "—" if median["value"] is None else f"{median['value']:g}"


def tables(data: dict) -> dict:
    """Every table of the page: title, column headings and rows (the CSV files too)."""
    t = data["timeliness"]
    regions = data["regions"]
    return {
        "months": {"title": _l("每月收到和办结的举报"),
                   "columns": [_l("月份"), _l("收到"), _l("办结")],
                   "rows": [[m["month"], m["received"], m["concluded"]] for m in data["months"]]},
        "categories": {"title": _l("按类别（收到的举报）"), "columns": [_l("类别"), _l("件数")],
                       "rows": [[vocab.label(r["key"]), r["count"]] for r in data["categories"]]},
        "regions": {"title": _l("按地区（违法行为发生地）"),
                    "columns": [_l("地区代码"), _l("地区"), _l("件数")],
                    "rows": [[r["code"], r["name"], r["count"]] for r in regions["rows"]]},
        "bureaus": {"title": _l("按承办部门"),
                    "columns": [_l("机关代码"), _l("承办部门"), _l("件数")],
                    "rows": [[r["code"], r["name"], r["count"]] for r in data["bureaus"]]},
        "outcomes": {"title": _l("办结结果"), "columns": [_l("结果"), _l("件数")],
                     "rows": [[str(workflow.OUTCOMES.get(r["key"], vocab.label(r["key"]))),
                               r["count"]] for r in data["outcomes"]]},
        "timeliness": {
            "title": _l("办理时效（工作日）"), "columns": [_l("指标"), _l("数值"), _l("计入件数")],
            "rows": [
                [_l("按期受理的比例（7 个工作日内）"), _share_text(t["accept"]), t["accept"]["of"]],
                [_l("按期办结的比例（受理后 15 个工作日内，延期的 30 个工作日内）"),
                 _share_text(t["conclude"]), t["conclude"]["of"]],
                [_l("受理用时中位数（工作日，自收到之日起）"), _median_text(t["median_accept"]),
                 t["median_accept"]["of"]],
                [_l("办结用时中位数（工作日，自收到之日起）"), _median_text(t["median_conclude"]),
                 t["median_conclude"]["of"]],
            ]},
        "agents": {"title": _l("近 12 个月每千名执业代理师被举报数（按机构登记地）"),
                   "columns": [_l("地区代码"), _l("地区"), _l("针对代理机构的举报"),
                               _l("执业代理师人数"), _l("每千人举报数（‰）")],
                   "rows": [[r["code"], r["name"], r["count"], r["agents"],
                             "—" if r["rate"] is None else r["rate"]] for r in data["agents"]]},
        "agencies": {"title": _l("近 12 个月举报属实件数最多的代理机构"),
                     "columns": [_l("统一社会信用代码"), _l("代理机构"), _l("举报属实件数")],
                     "rows": [[r["uscc"], r["name"], r["count"]] for r in data["top_agencies"]]},
    }


def _charts(data: dict, t: dict) -> dict:
    months = data["months"]
    return {
        "months": charts.column_chart(
            [m["month"][2:] for m in months],
            [(str(_l("收到")), [m["received"] for m in months]),
             (str(_l("办结")), [m["concluded"] for m in months])], str(t["months"]["title"])),
        "categories": charts.bar_chart([r[0] for r in t["categories"]["rows"]],
                                       [r[1] for r in t["categories"]["rows"]],
                                       str(t["categories"]["title"])),
        "regions": charts.bar_chart([r[1] for r in t["regions"]["rows"]],
                                    [r[2] for r in t["regions"]["rows"]],
                                    str(t["regions"]["title"])),
        "outcomes": charts.bar_chart([r[0] for r in t["outcomes"]["rows"]],
                                     [r[1] for r in t["outcomes"]["rows"]],
                                     str(t["outcomes"]["title"])),
    }


@bp.get("/")
def index():
    f = queries.parse_filters(request.args)
    data = queries.figures(f)
    t = tables(data)
    names = queries.known_divisions()
    path = [{"code": code, "name": names.get(code, (code,))[0]} for code in data["regions"]["path"]]
    return render_template("statistics/index.html", f=f, data=data, tables=t,
                           charts=_charts(data, t), path=path, target=queries.TARGET_PER_MILLE,
                           threshold=suppression.THRESHOLD, order=TABLES)


@bp.get("/<table>.csv")
def table_csv(table):
    if table not in TABLES:
        abort(404)
    f = queries.parse_filters(request.args)
    spec = tables(queries.figures(f))[table]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(neutralize_row(str(c) for c in spec["columns"]))
    for row in spec["rows"]:
        writer.writerow(neutralize_row("" if v is None else str(v) for v in row))
    name = f"statistics-{table}-{f.start:%Y-%m}-{f.end:%Y-%m}{'-' + f.region if f.region else ''}"
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
