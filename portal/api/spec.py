"""The OpenAPI 3.1 document of /api/v1/, generated from the code with apispec.

Response bodies are the marshmallow schemas the views serialise with (``schemas.py``);
the record endpoints and their filters come from the record-kind registry, so a new kind
appears here by itself.  apispec is used (not flask-smorest / flask-openapi3 /
spectree) because it only *describes*: the API stays plain Flask views over the
register's read side, with no second request framework, and its marshmallow plugin
emits OpenAPI 3.1 (``type: [..., "null"]``) from the same schemas that serialise.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, url_for

from ..register import kinds, vocab
from ..register.kinds import RecordKind
from . import schemas
from .exports import FORMATS

XLSX = FORMATS["xlsx"]

VERSION = "1.0.0"


def _param(name: str, description: str, schema: dict | None = None, *,
           where: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required or where == "path",
            "description": description, "schema": schema or {"type": "string"}}


def _enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


PAGING = [
    _param("limit", "Items per page (1 to API_MAX_PAGE_SIZE; default API_PAGE_SIZE).",
           {"type": "integer", "minimum": 1, "maximum": 200}),
    _param("cursor", "The next_cursor of the previous page (opaque)."),
    _param("changed_since", "Only rows changed at or after this ISO 8601 date or date-time "
                            "(UTC unless an offset is given); orders by change time."),
]
REGION = _param("region", "A division code (GB/T 2260, 6 digits): rows within it.",
                {"type": "string", "pattern": "^[0-9]{6}$"})
CONDITIONAL = [_param("If-None-Match", "An ETag from an earlier response.", where="header"),
               _param("If-Modified-Since", "An HTTP date.", where="header")]


AGENCY_PARAMS = [
    REGION, _param("kind", "patent, trademark or both", _enum(vocab.AGENCY_KINDS)),
    _param("status", "Agency status", _enum(vocab.AGENCY_STATUSES)),
    _param("grade", "Current credit grade (none: no public grade)",
           _enum([*vocab.CREDIT_GRADES, "none"])), *PAGING]
SEARCH_PARAMS = [
    _param("q", "Words, a USCC, licence or decision number"),
    _param("kind", "agency or a record kind", _enum([d.key for d in kinds.DATASETS])),
    REGION, _param("grade", "Credit grade", _enum(vocab.CREDIT_GRADES)),
    _param("penalty_kind", "Penalty kind", _enum(vocab.PENALTY_KINDS)),
    _param("active", "Only list entries still in force", _enum(["1"])),
    _param("sort", "relevance or date", _enum(["relevance", "date"])),
    _param("date_from", "From (YYYY-MM-DD)", {"type": "string", "format": "date"}),
    _param("date_to", "To (YYYY-MM-DD)", {"type": "string", "format": "date"})]


def _responses(schema: Any, *, gone: bool = False, missing: bool = False,
               unavailable: bool = False) -> dict:
    problem = {"application/problem+json": {"schema": "Problem"}}
    out = {
        "200": {"description": "OK", "content": {"application/json": {"schema": schema}},
                "headers": {"ETag": {"schema": {"type": "string"}}}},
        "304": {"description": "Not modified (conditional GET)"},
        "400": {"description": "Bad parameters", "content": problem},
        "429": {"description": "Rate limit; see Retry-After", "content": problem,
                "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
    }
    if missing:
        out["404"] = {"description": "Not found", "content": problem}
    if gone:
        out["410"] = {"description": "No longer published (reason given)", "content": problem}
    if unavailable:
        out["503"] = {"description": "Search is unavailable", "content": problem}
    return out


def _op(summary: str, params: list[dict], schema: Any, tag: str, **kw: Any) -> dict:
    return {"get": {"summary": summary, "tags": [tag], "parameters": params + CONDITIONAL,
                    "responses": _responses(schema, **kw)}}


MEDIA_TYPES = {"csv": "text/csv", "xlsx": XLSX, "jsonl": "application/x-ndjson"}


def _export_op(summary: str, params: list[dict], tag: str, formats: tuple[str, ...],
               *, unavailable: bool = False) -> dict:
    """A download: 200 with one media type per format; errors as problem+json."""
    problem = {"application/problem+json": {"schema": "Problem"}}
    if len(formats) > 1:
        params = [_param("fmt", "File format", _enum(formats), where="path"), *params]
    content = {MEDIA_TYPES[f]: {"schema": {"type": "string"}} for f in formats}
    responses = {
        "200": {"description": "The file (streamed; Content-Disposition: attachment)",
                "content": content},
        "400": {"description": "Bad parameters", "content": problem},
        "429": {"description": "Rate limit; see Retry-After", "content": problem,
                "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
    }
    if len(formats) > 1:
        responses["404"] = {"description": "No such format", "content": problem}
    if unavailable:
        responses["503"] = {"description": "Search is unavailable", "content": problem}
    return {"get": {"summary": summary, "tags": [tag], "parameters": params,
                    "responses": responses}}


def _kind_params(kind: RecordKind) -> list[dict]:
    params = [REGION, _param("date_from", f"{kind.label_of(kind.date_field)} from (YYYY-MM-DD).",
                             {"type": "string", "format": "date"}),
              _param("date_to", f"{kind.label_of(kind.date_field)} to (YYYY-MM-DD).",
                     {"type": "string", "format": "date"})]
    for f in kind.filters:
        schema = _enum(f.choices) if f.choices is not None else {"type": "string",
                                                                 "maxLength": f.max_len}
        params.append(_param(f.name, str(kind.label_of(f.name)), schema))
    return params + PAGING


def _no_paging(params: list[dict]) -> list[dict]:
    """Export parameters: the list's filters and changed_since, no paging."""
    return [p for p in params if p["name"] not in ("limit", "cursor")]


def build_spec() -> dict:
    spec = APISpec(title="蓝天 portal open data API", version=VERSION, openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Read-only public data of the register. Licence: "
                                        f"{current_app.config['OPEN_DATA_LICENCE']}.",
                         "license": {"name": current_app.config["OPEN_DATA_LICENCE"],
                                     "url": current_app.config["OPEN_DATA_LICENCE_URL"]}},
                   servers=[{"url": url_for("api.openapi", _external=True)
                             .rsplit("/openapi.json", 1)[0]}])
    spec.components.schema("Problem", schema=schemas.ProblemSchema)
    spec.path("/agencies", operations=_op(
        "Agencies (the directory's filters)",
        AGENCY_PARAMS, schemas.list_schema("AgencyPage", schemas.AgencySchema), "agencies"))
    spec.path("/agencies/{uscc}", operations=_op(
        "One agency with its public records",
        [_param("uscc", "统一社会信用代码", where="path")],
        schemas.agency_detail_schema(), "agencies", missing=True))
    for kind in kinds.KINDS:
        name = schemas.schema_name(kind)
        record = schemas.record_schema(kind.key)
        spec.path(f"/{kind.url.path}", operations=_op(
            f"{kind.label} (public records)", _kind_params(kind),
            schemas.list_schema(f"{name}Page", record), kind.key))
        spec.path(f"/{kind.url.path}/{{record_id}}", operations=_op(
            f"One {kind.key}", [_param("record_id", "Record id", {"type": "integer"},
                                       where="path")],
            record, kind.key, missing=True, gone=True))
    spec.path("/search", operations=_op(
        "Full-text search (the search page's parameters)",
        [*SEARCH_PARAMS,
         _param("view", "agencies: grouped by agency (as the page); records: flat",
                _enum(["agencies", "records"])),
         _param("page", "Page number", {"type": "integer", "minimum": 1})],
        schemas.SearchPageSchema, "search", unavailable=True))
    spec.path("/bureaus", operations=_op("Bureaus and their public contacts", [],
                                         schemas.plain_list_schema("BureauList",
                                                                   schemas.BureauSchema),
                                         "reference"))
    spec.path("/divisions", operations=_op(
        "Divisions: the served provinces, or the children of ?parent=",
        [_param("parent", "A division code", {"type": "string", "pattern": "^[0-9]{6}$"})],
        schemas.plain_list_schema("DivisionList", schemas.DivisionSchema), "reference"))
    spec.path("/datasets", operations=_op(
        "Open-data files: rows, last change, licence, formats", [],
        schemas.plain_list_schema("DatasetList", schemas.DatasetSchema), "reference"))
    _add_downloads(spec)
    return spec.to_dict()


def _add_downloads(spec: APISpec) -> None:
    formats = tuple(FORMATS)
    spec.path("/agencies.{fmt}", operations=_export_op(
        "The directory's filtered results as a file", _no_paging(AGENCY_PARAMS), "downloads",
        formats))
    for kind in kinds.KINDS:
        spec.path(f"/{kind.url.path}.{{fmt}}", operations=_export_op(
            f"{kind.label}: filtered results as a file", _no_paging(_kind_params(kind)),
            "downloads", formats))
    spec.path("/search.{fmt}", operations=_export_op(
        "Search results as a file: every hit, one row each, at most SEARCH_EXPORT_MAX_ROWS "
        "(headers X-Result-Total and X-Result-Exported)", SEARCH_PARAMS, "downloads",
        ("csv", "xlsx"), unavailable=True))
    spec.path("/dump.jsonl", operations=_export_op(
        "Every agency and public record, one JSON object per line", [], "downloads",
        ("jsonl",)))
