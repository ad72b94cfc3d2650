"""Search pages (blueprint "search"): thin views over ``search.service``."""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, make_response, redirect, render_template, request
from flask_babel import gettext as _

from portal.htmx import add_vary, is_partial

from . import service

bp = Blueprint("search", __name__, url_prefix="/search")


@bp.get("/")
def search():
    params = service.parse_params(request.args)
    page = service.run_search(params)
    if page.redirect:
        if is_partial():  # htmx: navigate the whole page to the record
            response = service.make_hx_redirect(page.redirect)
        else:
            response = redirect(page.redirect, code=303)
        return add_vary(response)
    context = {
        "page": page,
        "params": params,
        "kind_labels": service.KIND_LABELS,
        "sorts": service.SORTS,
        "region_name": service.region_name(params.region),
        "grades": service.vocab.CREDIT_GRADES,
        "penalty_kinds": service.vocab.PENALTY_KINDS,
        "active_filters": service.active_filters(params),
        "url_of": service.url_of,
    }
    template = "search/_results.html" if is_partial() else "search/search.html"
    return add_vary(make_response(render_template(template, **context)))


@bp.get("/suggest")
def suggest():
    text = request.args.get("q", "")
    limit = request.args.get("limit", "8")
    limit = int(limit) if limit.isdigit() else 8
    agencies = service.suggest_agencies(text, limit)
    items = [
        {"uscc": a.uscc, "name": a.name, "former_names": [f.name for f in a.former_names],
         "url": service.url_of(a)}
        for a in agencies
    ]
    if is_partial():
        listbox = request.args.get("listbox", "")
        listbox = listbox if re.fullmatch(r"[a-z][a-z0-9-]{0,40}", listbox) else "suggest"
        return add_vary(make_response(render_template(
            "search/_suggest.html", agencies=agencies, listbox_id=listbox,
            url_of=service.url_of)))
    return add_vary(jsonify({"query": text, "agencies": items,
                             "message": "" if items else _("没有找到匹配的代理机构")}))
