"""Download the results of a search (/api/v1/search.csv|xlsx): the search page's
parameters, one row per matching agency or record (every hit, not grouped), in the
page's order, at most SEARCH_EXPORT_MAX_ROWS rows.

The engine is asked in batches and the rows of each batch are loaded and written before
the next is asked for, so memory stays flat.  Headers say how many rows matched and how
many the file holds (``X-Result-Total``, ``X-Result-Exported``); the search page says
so next to the link when a search finds more than the cap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from flask import current_app, request
from flask_babel import gettext as _

from ..register import kinds
from ..register.divisions import path_name
from ..register.models import Agency, Agent  # issue 14 — Agent
from .exports import attachment, cell, csv_lines, xlsx_chunks
from .problems import ApiError

BATCH = 500


def headers() -> list[str]:
    return [_("类型"), _("名称或标题"), _("统一社会信用代码"), _("代理机构"), _("日期"),
            _("地区"), _("公示页面")]


def cap() -> int:
    return int(current_app.config["SEARCH_EXPORT_MAX_ROWS"])


def prepare(args):
    """(engine request, total matches) for the search of ``args``; 400 on bad
    parameters, 503 when search is unavailable."""
    from search import get_engine, service
    from search.engines.base import SearchRequest

    params = service.parse_params(args)
    if params.errors:
        raise ApiError(errors=params.errors)
    engine = get_engine()
    if engine.name == "none":
        raise ApiError(_("搜索暂不可用"), status=503)
    search = SearchRequest(query=service.parsed_query(params.q),
                           filters=service.filters_of(replace(params, group=None)),
                           sort=params.sort, offset=0, limit=1, facets=False)
    total = engine.search(search).total
    return search, total


def rows(search, limit: int) -> Iterator[list]:
    from search import get_engine, service
    from search.documents import display_texts

    engine = get_engine()
    root = request.url_root.rstrip("/")
    for offset in range(0, limit, BATCH):
        batch = replace(search, offset=offset, limit=min(BATCH, limit - offset))
        keys = engine.search(batch).keys
        for obj in service.load_objects(keys):
            yield _row(obj, display_texts(obj)[0], root, service)
        if len(keys) < batch.limit:
            return


def _row(obj, title: str, root: str, service) -> list:
    if isinstance(obj, Agency):
        agency, date, kind = obj, obj.established_on, "agency"
    elif isinstance(obj, Agent):  # issue 14 — patent agents: the agency they practise in
        agency, date, kind = obj.agency, obj.certified_on, "agent"
    elif not hasattr(obj, "agency"):  # issue 14 — typical cases: about no one agency
        agency, date, kind = None, obj.record_date, "case"
    else:
        agency, date, kind = obj.agency, obj.record_date, kinds.of(obj).key
    region = path_name(agency.division_code) if agency is not None else ""
    return [str(service.KIND_LABELS[kind]), title, agency.uscc if agency else "",
            agency.name if agency else "", cell(date), region, root + service.url_of(obj)]


def download(fmt: str):
    search, total = prepare(request.args)
    exported = min(total, cap())
    body = (csv_lines(headers(), rows(search, exported)) if fmt == "csv"
            else xlsx_chunks(_("搜索结果"), headers(), rows(search, exported)))
    return attachment(body, fmt, "search-results", **{
        "X-Result-Total": str(total), "X-Result-Exported": str(exported)})
