"""Public register pages (blueprint "records").  Thin: parse, load, render."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..htmx import is_partial
from ..timeutil import today as today_cn
from . import queries
from .columns import COLUMNS, DOWNLOAD_TO_KIND, KIND_TO_DOWNLOAD
from .models import RECORD_MODELS, Agency, Penalty

bp = Blueprint("records", __name__)

LIST_ENDPOINTS = {"spot_check": "records.spot_checks", "penalty": "records.penalties",
                  "credit_grade": "records.credit_grades", "list_entry": "records.list_entries"}


@bp.get("/")
def home():
    return render_template("records/home.html", counts=queries.home_counts(),
                           latest=queries.latest_publications(10))


@bp.get("/agencies/")
def agencies():
    filters = queries.directory_filters(request.args)
    page = queries.paginate(queries.directory_query(filters), queries.page_number(request.args))
    grades = queries.current_grades([a.id for a in page.items])
    template = "records/_agency_results.html" if is_partial() else "records/agencies.html"
    return render_template(template, filters=filters, page=page, grades=grades,
                           regions=queries.region_options())


@bp.get("/agencies/<uscc>")
def agency(uscc):
    found = db.session.scalar(select(Agency).where(Agency.uscc == uscc.upper()))
    if found is None:
        abort(404)
    records = queries.agency_records(found)
    return render_template("records/agency.html", agency=found, records=records,
                           grade=records["credit_grade"][0] if records["credit_grade"] else None,
                           summary=queries.agency_summary(found, records))


def _record_list(kind: str):
    filters = queries.record_filters(kind, request.args)
    page = queries.record_page(kind, filters, queries.page_number(request.args))
    template = "records/_record_results.html" if is_partial() else "records/record_list.html"
    return render_template(template, kind=kind, filters=filters, page=page,
                           endpoint=LIST_ENDPOINTS[kind], regions=queries.region_options())


def _record_detail(record):
    if record is None:
        abort(404)
    reason = record.unpublished_reason()
    if reason is not None:
        code = 404 if reason == "scheduled" else 410
        return render_template("records/unpublished.html", record=record, reason=reason), code
    return render_template(f"records/{record.KIND}.html", record=record)


@bp.get("/penalties/")
def penalties():
    return _record_list("penalty")


@bp.get("/penalties/<path:decision_number>")
def penalty(decision_number):
    return _record_detail(db.session.scalar(
        select(Penalty).where(Penalty.decision_number == decision_number)))


@bp.get("/spot-checks/")
def spot_checks():
    return _record_list("spot_check")


@bp.get("/spot-checks/<int:record_id>")
def spot_check(record_id):
    return _record_detail(db.session.get(RECORD_MODELS["spot_check"], record_id))


@bp.get("/credit-grades/")
def credit_grades():
    return _record_list("credit_grade")


@bp.get("/credit-grades/<int:record_id>")
def credit_grade(record_id):
    return _record_detail(db.session.get(RECORD_MODELS["credit_grade"], record_id))


@bp.get("/list-entries/")
def list_entries():
    return _record_list("list_entry")


@bp.get("/list-entries/<int:record_id>")
def list_entry(record_id):
    return _record_detail(db.session.get(RECORD_MODELS["list_entry"], record_id))


@bp.get("/bureaus/")
def bureaus():
    return render_template("records/bureaus.html", bureaus=queries.bureau_tree(),
                           agency_counts=queries.agency_counts_by_bureau())


# -- open data -------------------------------------------------------------------

@bp.get("/data/")
def open_data():
    return render_template("records/open_data.html", counts=queries.home_counts(),
                           columns=COLUMNS, downloads=KIND_TO_DOWNLOAD)


@bp.get("/data/<kind>.csv")
def download(kind):
    model_kind = DOWNLOAD_TO_KIND.get(kind)
    if model_kind is None:
        abort(404)

    def generate():
        buf = io.StringIO()
        writer = csv.writer(buf)
        buf.write("\ufeff")
        writer.writerow([c.header for c in COLUMNS[model_kind]])
        for n, row in enumerate(queries.export_rows(model_kind), 1):
            writer.writerow(row)
            if n % 1000 == 0:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    filename = f"{kind}-{today_cn().isoformat()}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "X-Content-Type-Options": "nosniff"})


@bp.app_template_global()
def unpublished_message(reason: str, record) -> str:
    if reason == "withdrawn":
        return _("该信息已被撤回，不再公示。")
    if reason == "repaired":
        return _("当事人已完成信用修复，该信息已停止公示。")
    if reason == "expired":
        return _("该信息的公示期已于 %(date)s 届满，已停止公示。",
                 date=record.publication_ends_on.isoformat())
    if reason == "scheduled":
        return _("该信息尚未到公示日期。")
    return _("该信息不再公示。")


@bp.app_context_processor
def register_helpers():
    from .urls import agency_url, record_url

    def page_url(endpoint, page, **extra):
        args = {k: v for k, v in request.args.items() if k != "page" and v}
        args.update(extra)
        if page > 1:
            args["page"] = page
        return url_for_safe(endpoint, **args)

    return {"record_url": record_url, "agency_url": agency_url, "page_url": page_url,
            "list_endpoints": LIST_ENDPOINTS}


def url_for_safe(endpoint, **args):
    from flask import url_for

    return url_for(endpoint, **args)
