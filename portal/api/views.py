"""The public JSON API (blueprint "api", /api/v1/): read-only, through the register's
read side (``portal.register.queries``) and the search service.

Every response is JSON with an ETag (and Last-Modified when the rows say when they
changed) and answers a conditional GET with 304; errors are problem+json; CORS allows
any origin to GET; a rate limit of its own (API_RATE_LIMIT) answers 429 + Retry-After.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    json,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from ..errors import PortalError
from ..extensions import db, limiter
from ..register import divisions, kinds, queries, vocab
from ..register.cleaning import parse_date
from ..register.kinds import RecordKind
from ..register.models import Agency, Agent, Division  # issue 14 — Agent
from ..register.urls import agency_url
from . import problems, schemas
from .paging import MAX_ROW_ID, Order, keyset_page, next_url
from .problems import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
docs_bp = Blueprint("api_docs", __name__)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since, Accept-Language",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Link, Retry-After, "
                                     "X-RateLimit-Limit, X-RateLimit-Remaining, "
                                     "X-RateLimit-Reset",
    "Access-Control-Max-Age": "86400",
}


def _rate_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


limiter.shared_limit(_rate_limit, scope="open-data")(bp)


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    response.vary.add("Accept-Language")
    return response


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return problems.from_http_exception(error)


# The application's per-status handlers (HTML pages) win over a class handler: register
# the problem+json answer for each of those statuses on the blueprint too.
for _code in (400, 403, 404, 405, 413, 429, 500):
    bp.register_error_handler(_code, _http_error)


@bp.errorhandler(PortalError)
def _portal_error(error: PortalError):
    return problems.from_portal_error(error)


# -- responses ----------------------------------------------------------------------


def respond(data: Any, last_modified: dt.datetime | None = None) -> Response:
    """JSON with validators; a conditional GET that matches answers 304."""
    response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")
    response.headers["Cache-Control"] = "no-cache"  # cache, but revalidate (cheap: 304)
    if last_modified is not None:
        response.last_modified = last_modified.replace(tzinfo=dt.UTC, microsecond=0)
    response.add_etag()
    return response.make_conditional(request)


def _latest(stamps: Iterable[dt.datetime | None]) -> dt.datetime | None:
    return max((s for s in stamps if s is not None), default=None)


def _changed_at(row) -> dt.datetime | None:
    return _latest((row.updated_at, getattr(row, "status_changed_at", None)))


def list_response(schema, rows: list, items: list[dict], cursor: str | None) -> Response:
    body = schemas.dumper(schema).dump({"items": items, "page": {
        "limit": len(rows), "next_cursor": cursor, "next": next_url(cursor)}})
    response = respond(body, _latest(_changed_at(r) for r in rows))
    if cursor is not None:
        response.headers["Link"] = f'<{next_url(cursor)}>; rel="next"'
    return response


# -- parameters ---------------------------------------------------------------------


def choice(args: Mapping[str, str], name: str, allowed: Iterable[str]) -> str:
    value = args.get(name) or ""
    allowed = list(allowed)
    if value and value not in allowed:
        raise ApiError(errors={name: _("“%(value)s”不是允许的值（可选：%(allowed)s）",
                                       value=value, allowed="、".join(allowed))})
    return value


def region_arg(args: Mapping[str, str]) -> str:
    code = (args.get("region") or "").strip()
    if code and (not divisions.is_code(code) or db.session.get(Division, code) is None):
        raise ApiError(errors={"region": _("行政区划代码“%(code)s”不存在", code=code)})
    return code


def date_arg(args: Mapping[str, str], name: str) -> dt.date | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        return parse_date(raw)
    except (TypeError, ValueError) as exc:
        raise ApiError(errors={name: _("日期格式应为“年-月-日”，例如 2025-03-31")}) from exc


def changed_since(args: Mapping[str, str]) -> dt.datetime | None:
    """``changed_since`` (ISO date or date-time; naive means UTC) as naive UTC."""
    raw = args.get("changed_since")
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(errors={"changed_since": _(
            "时间格式应为 ISO 8601，例如 2025-03-31 或 2025-03-31T08:00:00Z")}) from exc
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _order_and_since(args, model, query):
    since = changed_since(args)
    if since is None:
        return query, Order("id")
    return query.where(model.updated_at >= since), Order("changed")


# -- agencies ------------------------------------------------------------------------


def agency_filters(args: Mapping[str, str]) -> dict:
    return {"region": region_arg(args),
            "kind": choice(args, "kind", vocab.AGENCY_KINDS),
            "status": choice(args, "status", vocab.AGENCY_STATUSES),
            "grade": choice(args, "grade", (*vocab.CREDIT_GRADES, "none"))}


def region_names(codes: Iterable[str | None]) -> dict[str, str]:
    """``divisions.path_name`` of many codes with one query (a page of agencies would
    otherwise cost a query per division level per row)."""
    codes = {c for c in codes if c}
    wanted = {c for code in codes for c in divisions.lineage(code)}
    found = {code: (name, parent) for code, name, parent in db.session.execute(
        select(Division.code, Division.name, Division.parent_code)
        .where(Division.code.in_(wanted)))}
    out = {}
    for code in codes:
        names, current = [], code
        while current in found:
            name, current = found[current]
            names.append(name)
        # a parent outside the code's shape lineage (or an unknown code): ask the module
        out[code] = ("".join(reversed(names)) if names and current is None
                     else divisions.path_name(code))
    return out


def agency_data(agency: Agency, grade: str | None, region: str | None = None) -> dict:
    return {
        "uscc": agency.uscc, "name": agency.name,
        "former_names": [{"name": f.name, "until": f.until} for f in agency.former_names],
        "licence_no": agency.licence_no, "kind": agency.kind, "status": agency.status,
        "address": agency.address, "division_code": agency.division_code,
        "region": region if region is not None else divisions.path_name(agency.division_code),
        "legal_rep": agency.legal_rep,
        "agent_count": agency.agent_count, "established_on": agency.established_on,
        "branches": (agency.branches or "").splitlines(),
        "bureau_code": agency.bureau.code if agency.bureau else None,
        "current_grade": grade, "updated_at": agency.updated_at,
        "url": agency_url(agency, _external=True),
        "api_url": url_for("api.agency", uscc=agency.uscc, _external=True),
    }


AgencyPage = schemas.list_schema("AgencyPage", schemas.AgencySchema)


@bp.get("/agencies")
def agencies():
    query, order = _order_and_since(request.args, Agency,
                                    queries.directory_query(agency_filters(request.args)))
    rows, cursor = keyset_page(db.session, query, Agency, order, request.args, options=(
        selectinload(Agency.former_names), joinedload(Agency.bureau)))
    grades = queries.current_grades([a.id for a in rows])
    regions = region_names(a.division_code for a in rows)
    items = [agency_data(a, grades.get(a.id), regions.get(a.division_code)) for a in rows]
    return list_response(AgencyPage, rows, items, cursor)


EXPORT_FORMATS = "csv, xlsx, jsonl"


@bp.get(f"/agencies.<any({EXPORT_FORMATS}):fmt>")
def agencies_export(fmt: str):
    """The directory's filtered results as a file (all matching rows, streamed)."""
    from . import exports

    query, _order = _order_and_since(request.args, Agency,
                                     queries.directory_query(agency_filters(request.args)))
    return exports.download(kinds.AGENCY, fmt, exports.filtered_rows(kinds.AGENCY, query),
                            "agencies")


@bp.get("/dump.jsonl")
def dump():
    """Every agency and every public record, one JSON object per line (streamed)."""
    from . import exports

    return Response(stream_with_context(exports.write_jsonl(exports.dump_lines())),
                    mimetype=exports.FORMATS["jsonl"], headers={
                        "Content-Disposition": 'attachment; filename="register.jsonl"'})


@bp.get("/agencies/<uscc>")
def agency(uscc: str):
    found = db.session.scalar(select(Agency).where(Agency.uscc == uscc.upper()))
    if found is None:
        raise ApiError(_("没有统一社会信用代码为 %(uscc)s 的代理机构", uscc=uscc), status=404)
    records = queries.agency_records(found)
    grade = records["credit_grade"][0].grade if records["credit_grade"] else None
    body = schemas.dumper(schemas.agency_detail_schema()).dump({
        "agency": agency_data(found, grade),
        "summary": queries.agency_summary(found, records),
        "records": {key: [record_data(kinds.get(key), r) for r in rows]
                    for key, rows in records.items()},
    })
    stamps = [found.updated_at, *(_changed_at(r) for rows in records.values() for r in rows)]
    return respond(body, _latest(stamps))


# -- records ---------------------------------------------------------------------------


def record_data(kind: RecordKind, record) -> dict:
    data: dict[str, Any] = {
        "id": record.id, "kind": kind.key, "status": record.status,
        "updated_at": record.updated_at,
        "publication_ends_on": record.publication_ends_on,
        "url": kind.public_url(record, _external=True),
        "api_url": url_for(f"api.{kind.key}", record_id=record.id, _external=True),
        "agency_api_url": (url_for("api.agency", uscc=record.agency.uscc, _external=True)
                           if record.agency is not None else None),
    }
    for column in kind.columns:
        if column.field in ("agency_uscc", "agency_name"):
            agency_ = record.agency
            value = getattr(agency_, column.field[len("agency_"):]) if agency_ else None
        else:
            value = getattr(record, column.field)
        data[column.field] = value
    return data


def record_filters(kind: RecordKind, args: Mapping[str, str]) -> dict:
    filters: dict[str, Any] = {"region": region_arg(args),
                               "date_from": date_arg(args, "date_from"),
                               "date_to": date_arg(args, "date_to")}
    for f in kind.filters:
        if f.choices is None:
            value = (args.get(f.name) or "").strip()
            if len(value) > f.max_len:
                raise ApiError(errors={f.name: _("不能超过 %(n)s 个字", n=f.max_len)})
            filters[f.name] = value
        else:
            filters[f.name] = choice(args, f.name, f.choices)
    return filters


def record_list(kind: RecordKind):
    model = kind.model
    query = queries.record_query(kind.key, record_filters(kind, request.args))
    query, order = _order_and_since(request.args, model, query)
    rows, cursor = keyset_page(db.session, query, model, order, request.args,
                               options=(joinedload(model.agency),))
    return list_response(record_page_schema(kind.key), rows,
                         [record_data(kind, r) for r in rows], cursor)


def record_detail(kind: RecordKind, record_id: int):
    record = db.session.get(kind.model, record_id) if record_id <= MAX_ROW_ID else None
    reason = record.unpublished_reason() if record is not None else None
    if record is None or reason == "scheduled":
        raise ApiError(_("没有这条%(kind)s", kind=kind.label), status=404)
    if reason is not None:
        from ..register.views import unpublished_message

        raise ApiError(unpublished_message(reason, record), status=410, reason=reason,
                       status_changed_at=schemas.utc_iso(record.status_changed_at))
    return respond(schemas.dumper(schemas.record_schema(kind.key)).dump(record_data(kind, record)),
                   _changed_at(record))


def record_page_schema(key: str):
    kind = kinds.get(key)
    return schemas.list_schema(f"{schemas.schema_name(kind)}Page", schemas.record_schema(key))


def record_export(kind: RecordKind, fmt: str):
    from . import exports

    query = queries.record_query(kind.key, record_filters(kind, request.args))
    query, _order = _order_and_since(request.args, kind.model, query)
    return exports.download(kind, fmt, exports.filtered_rows(kind, query), kind.download)


def _add_record_endpoints(kind: RecordKind) -> None:
    bp.add_url_rule(f"/{kind.url.path}", f"{kind.key}_list", lambda: record_list(kind))
    bp.add_url_rule(f"/{kind.url.path}.<any({EXPORT_FORMATS}):fmt>", f"{kind.key}_export",
                    lambda fmt: record_export(kind, fmt))
    bp.add_url_rule(f"/{kind.url.path}/<int:record_id>", kind.key,
                    lambda record_id: record_detail(kind, record_id))


for _kind in kinds.KINDS:
    _add_record_endpoints(_kind)


# -- bureaus, divisions, datasets ----------------------------------------------------------

BureauList = schemas.plain_list_schema("BureauList", schemas.BureauSchema)
DivisionList = schemas.plain_list_schema("DivisionList", schemas.DivisionSchema)
DatasetList = schemas.plain_list_schema("DatasetList", schemas.DatasetSchema)


@bp.get("/bureaus")
def bureaus():
    counts = queries.agency_counts_by_bureau()
    tree = queries.bureau_tree()
    codes = {b.id: b.code for b in tree}
    items = [{"code": b.code, "name": b.name, "level": b.level,
              "parent_code": codes.get(b.parent_id), "phone": b.phone, "address": b.address,
              "agency_count": counts.get(b.id, 0)} for b in tree]
    return respond(schemas.dumper(BureauList).dump({"items": items}))


@bp.get("/divisions")
def division_list():
    parent = (request.args.get("parent") or "").strip()
    if parent and db.session.get(Division, parent) is None:
        raise ApiError(errors={"parent": _("行政区划代码“%(code)s”不存在", code=parent)})
    if parent:
        condition = Division.parent_code == parent
    else:
        served = {code for code, _name, depth in divisions.served_regions() if depth == 0}
        condition = Division.code.in_(served)
    rows = db.session.scalars(select(Division).where(condition).order_by(Division.code))
    items = [{"code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent_code,
              "path_name": divisions.path_name(d.code)} for d in rows]
    return respond(schemas.dumper(DivisionList).dump({"items": items}))


@bp.get("/datasets")
def datasets():
    """Every open-data table: rows, last change, licence and download formats."""
    from .exports import dataset_info

    return respond(schemas.dumper(DatasetList).dump({"items": dataset_info()}))


# -- search ------------------------------------------------------------------------------


@bp.get("/search")
def search():
    """The search page's parameters; an identifier (USCC, licence, decision number) answers
    the one agency or record it names, as the page redirects to it."""
    from search import service

    params = service.parse_params(request.args)
    if params.errors:
        raise ApiError(errors=params.errors)
    if request.args.get("page") and not (request.args["page"].isascii()
                                          and request.args["page"].isdigit()):
        raise ApiError(errors={"page": _("页码应为正整数")})
    result = service.run_search(params)
    if not result.available:
        raise ApiError(_("搜索暂不可用"), status=503)
    target = service.find_identifier(params.q) if result.redirect else None
    if target is not None:
        items = [_target_data(service, target)]
    else:
        items = [_hit_data(h.kind, h.obj, h.kind_label, h.title.striptags(), str(h.snippet),
                           h.date, h.url) for h in result.hits]
    body = schemas.dumper(schemas.SearchPageSchema).dump({
        "total": result.total, "page": params.page, "pages": result.pages, "items": items,
        "facets": {name: [vars(v) for v in values] for name, values in result.facets.items()},
    })
    return respond(body)


@bp.get("/search.<any(csv, xlsx):fmt>")
def search_export(fmt: str):
    """The search's results as a file (every hit, capped at SEARCH_EXPORT_MAX_ROWS)."""
    from . import search_export as export

    return export.download(fmt)


def _target_data(service, obj) -> dict:
    if isinstance(obj, Agency):
        return _hit_data("agency", obj, str(service.KIND_LABELS["agency"]), obj.name, "",
                         obj.established_on, service.url_of(obj))
    if isinstance(obj, Agent):  # issue 14 — patent agents: a certificate number typed
        return _hit_data("agent", obj, str(service.KIND_LABELS["agent"]), obj.name, "",
                         obj.certified_on, service.url_of(obj))
    kind = kinds.of(obj)
    title, _texts = kind.display(obj)
    return _hit_data(kind.key, obj, str(kind.label), title, "", obj.record_date,
                     service.url_of(obj))


def _hit_data(kind: str, obj, label: str, title: str, snippet: str, date, url) -> dict:
    if kind == "agency":
        ident, api = obj.uscc, url_for("api.agency", uscc=obj.uscc, _external=True)
    elif kind == "case":  # issue 14 — typical cases: no API resource of their own
        ident, api = str(obj.id), None
    elif kind == "agent":  # issue 14 — patent agents: keyed by certificate number, no API
        ident, api = obj.certificate_no, None
    else:
        ident, api = str(obj.id), url_for(f"api.{kind}", record_id=obj.id, _external=True)
    return {"kind": kind, "kind_label": label, "id": ident, "title": title,
            "snippet_html": snippet, "date": date,
            "url": request.url_root.rstrip("/") + url if url else None, "api_url": api}


# -- the document, the docs page, unknown paths --------------------------------------------


@bp.get("/openapi.json")
def openapi():
    from .spec import build_spec

    return respond(build_spec())


class RestOfPath(PathConverter):
    """Whatever follows /api/v1/, newlines included (``path`` stops at one), so that
    every unknown API path answers problem+json rather than the site's HTML 404."""

    regex = "(?s:.+)"
    part_isolating = False


@bp.route("/<api_rest:rest>")
def unknown(rest: str):
    raise ApiError(_("没有这个接口：%(path)s", path=request.path), status=404)


@docs_bp.get("/api/")
def docs():
    from .spec import build_spec

    return render_template("api/docs.html", spec=build_spec(),
                           licence=current_app.config["OPEN_DATA_LICENCE"],
                           licence_url=current_app.config["OPEN_DATA_LICENCE_URL"])

