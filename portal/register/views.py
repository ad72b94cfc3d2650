"""Public register pages (blueprint "register").  Thin: parse, load, render."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from ..check.texts import texts
from ..extensions import db
from ..htmx import is_partial
from ..timeutil import today as today_cn
from . import assessment, kinds, queries, vocab
from .divisions import served_regions
from .kinds import RecordKind
from .models import Agency
from .urls import agency_url, agent_url, record_url

bp = Blueprint("register", __name__)


@bp.get("/")
def home():
    return render_template("register/home.html", counts=queries.home_counts(),
                           latest=queries.latest_publications(10))


@bp.get("/agencies/")
def agencies():
    filters = queries.directory_filters(request.args)
    query = queries.directory_query(filters)
    page = queries.paginate(query, queries.page_number(request.args),
                            total=queries.cached_total("agencies", filters, query))
    grades = queries.current_grades([a.id for a in page.items])
    template = "register/_agency_results.html" if is_partial() else "register/agencies.html"
    return render_template(template, filters=filters, page=page, grades=grades,
                           regions=served_regions())


@bp.get("/agencies/<uscc>")
def agency(uscc):
    found = db.session.scalar(select(Agency).where(Agency.uscc == uscc.upper()))
    if found is None:
        abort(404)
    records = queries.agency_records(found)
    changes = queries.agency_changes(found)
    grade = records["credit_grade"][0] if records["credit_grade"] else None
    return render_template("register/agency.html", agency=found, records=records,
                           changes=changes, grade=grade, agents=queries.agency_agents(found),
                           summary=queries.agency_summary(found, records),
                           attention=assessment.assess(
                               found, entries=records["list_entry"], penalties=records["penalty"],
                               grade=grade, status_since=assessment.status_since(found, changes)),
                           texts=texts())


def _record_list(kind: RecordKind):
    filters = queries.record_filters(kind.key, request.args)
    page = queries.record_page(kind.key, filters, queries.page_number(request.args))
    template = "register/_record_results.html" if is_partial() else "register/record_list.html"
    return render_template(template, kind=kind, filters=filters, page=page,
                           endpoint=kind.list_endpoint, regions=served_regions())


def _record_detail(kind: RecordKind, value):
    model = kind.model
    if kind.url.canonical is not None and kind.url.canonical(value) != value:
        # another spelling of the same number (an old URL): one URL per record
        return redirect(url_for(request.endpoint, **{kind.url.arg: kind.url.canonical(value)}),
                        301)
    record = db.session.scalar(select(model).where(getattr(model, kind.url.field) == value))
    if record is None:
        abort(404)
    reason = record.unpublished_reason()
    changes = queries.public_history(record)
    if reason is not None:
        code = 404 if reason == "scheduled" else 410
        return render_template("register/unpublished.html", kind=kind, record=record,
                               reason=reason, changes=changes), code
    return render_template(kind.detail_template, kind=kind, record=record, changes=changes)


def _add_record_pages(kind: RecordKind) -> None:
    """/<path>/ lists the public records of ``kind``; /<path>/<value> shows one."""
    bp.add_url_rule(f"/{kind.url.path}/", kind.url.list_endpoint, lambda: _record_list(kind))
    bp.add_url_rule(f"/{kind.url.path}/<{kind.url.converter}:{kind.url.arg}>",
                    kind.url.detail_endpoint,
                    lambda **args: _record_detail(kind, args[kind.url.arg]))


for _kind in kinds.KINDS:
    _add_record_pages(_kind)


# -- patent agents (issue 14) -------------------------------------------------------

@bp.get("/agents/")
def agents():
    filters = queries.agent_filters(request.args)
    page = queries.agents_page(filters, queries.page_number(request.args))
    template = "register/_agent_results.html" if is_partial() else "register/agents.html"
    return render_template(template, filters=filters, page=page)


@bp.get("/agents/<certificate_no>")
def agent(certificate_no):
    from .agents import normalize_certificate

    canonical = normalize_certificate(certificate_no)
    if canonical != certificate_no and canonical:
        return redirect(url_for("register.agent", certificate_no=canonical), 301)
    found = queries.agent_by_certificate(certificate_no)
    if found is None:
        abort(404)
    return render_template("register/agent.html", agent=found,
                           history=queries.agent_history(found),
                           penalties=queries.agent_penalties(found))


@bp.get("/bureaus/")
def bureaus():
    return render_template("register/bureaus.html", bureaus=queries.bureau_tree(),
                           agency_counts=queries.agency_counts_by_bureau())


# -- open data -------------------------------------------------------------------

@bp.get("/data/")
def open_data():
    from ..api.datafiles import data_files

    return render_template("register/open_data.html", counts=queries.home_counts(),
                           datasets=kinds.DATASETS, files=data_files())


@bp.get("/data/<kind>.csv")
def download(kind):
    """The whole dataset: a file written once per change of the register (``datafiles``),
    sent with its ETag / Last-Modified (a conditional request gets a 304)."""
    from ..api.datafiles import cached_csv

    dataset = kinds.for_download(kind)
    if dataset is None:
        abort(404)
    gzipped = request.accept_encodings["gzip"] > 0
    response = send_file(cached_csv(dataset, gzipped=gzipped), mimetype="text/csv",
                         conditional=True, as_attachment=True,
                         download_name=f"{kind}-{today_cn().isoformat()}.csv")
    if gzipped:
        response.content_encoding = "gzip"
    response.vary.add("Accept-Encoding")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = (
        f"public, max-age={current_app.config['PUBLIC_MAX_AGE_SECONDS']}")
    return response


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
    def page_url(endpoint, page, **extra):
        args = {k: v for k, v in request.args.items() if k != "page" and v}
        args.update(extra)
        if page > 1:
            args["page"] = page
        return url_for(endpoint, **args)

    return {"record_url": record_url, "agency_url": agency_url, "page_url": page_url,
            "agent_url": agent_url, "agent_statuses": vocab.AGENT_STATUSES,
            "record_kinds": kinds.KINDS, "kind_of": kinds.of}
