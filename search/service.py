"""The search service: parse the visitor's parameters, ask the engine, reload rows.

Views call :func:`parse_params` and :func:`run_search`; the tip form's
autocomplete calls :func:`suggest_agencies`.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal import timeutil
from portal.extensions import db
from portal.register import kinds as register
from portal.register import vocab
from portal.register.models import Agency, AgencyFormerName, Division, Penalty
from portal.register.urls import agency_url, record_url

from . import get_engine, get_segmenter
from .documents import (
    KINDS,
    MODEL_OF_KIND,
    _options,
    display_texts,
    split_key,
    ymd,
)
from .engines.base import Filters, SearchRequest
from .text import MAX_QUERY_CHARS, ParsedQuery, canonical_identifier, highlight, normalize

PER_PAGE = 20
MAX_PAGE = 250
KIND_LABELS = {dataset.key: dataset.label for dataset in register.DATASETS}
ACTIVE_LABELS = {"1": _l("仍在名录中"), "0": _l("已移出")}
SORTS = {"relevance": _l("相关度"), "date": _l("日期（新到旧）")}


@dataclass
class SearchParams:
    q: str = ""
    kinds: tuple[str, ...] = ()
    region: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    grades: tuple[str, ...] = ()
    penalty_kinds: tuple[str, ...] = ()
    active: bool = False
    sort: str = "relevance"
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    def query_args(self, **changes) -> dict:
        """URL parameters of this search (for pagination and facet links)."""
        args = {
            "q": self.q or None,
            "kind": list(self.kinds) or None,
            "region": self.region,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "grade": list(self.grades) or None,
            "penalty_kind": list(self.penalty_kinds) or None,
            "active": "1" if self.active else None,
            "sort": self.sort if self.sort != "relevance" else None,
            "page": self.page if self.page > 1 else None,
        }
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, [], "")}


def _clean(value: str | None, limit: int = 100) -> str:
    return normalize(value or "")[:limit].strip()


def _parse_date(args, name: str, errors: dict) -> dt.date | None:
    raw = _clean(args.get(name), 20)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = str(_l("日期格式应为“年-月-日”，例如 2025-03-31；已忽略该条件。"))
        return None


def _chosen(args, name: str, allowed) -> tuple[str, ...]:
    """The allowed values of a repeated parameter, in order, without repeats."""
    return tuple(v for v in dict.fromkeys(args.getlist(name)) if v in allowed)


def _query_text(args, errors: dict) -> str:
    q = (args.get("q") or "")
    if len(q) > MAX_QUERY_CHARS:
        errors["q"] = str(_l("搜索词过长，只使用了前 %(n)s 个字。", n=MAX_QUERY_CHARS))
        q = q[:MAX_QUERY_CHARS]
    return "".join(c for c in q if c.isprintable() or c == " ").strip()


def _region(args, errors: dict) -> str | None:
    region = _clean(args.get("region"), 6)
    if region and not re.fullmatch(r"\d{6}", region):
        errors["region"] = str(_l("地区代码应为 6 位数字；已忽略该条件。"))
        return None
    return region or None


def _page(args) -> int:
    try:
        return min(max(int(args.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


def parse_params(args) -> SearchParams:
    """Search parameters from a query string; anything invalid is dropped with a message."""
    errors: dict[str, str] = {}
    q = _query_text(args, errors)
    region = _region(args, errors)
    date_from = _parse_date(args, "date_from", errors)
    date_to = _parse_date(args, "date_to", errors)
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    sort = args.get("sort") if args.get("sort") in SORTS else "relevance"
    return SearchParams(q=q, kinds=_chosen(args, "kind", KINDS), region=region,
                        date_from=date_from, date_to=date_to,
                        grades=_chosen(args, "grade", vocab.CREDIT_GRADES),
                        penalty_kinds=_chosen(args, "penalty_kind", vocab.PENALTY_KINDS),
                        active=args.get("active") in ("1", "on", "true"), sort=sort,
                        page=_page(args), errors=errors)


def filters_of(params: SearchParams, today: dt.date | None = None) -> Filters:
    return Filters(
        today=ymd(today or timeutil.today()),
        kinds=params.kinds,
        region=params.region,
        date_from=ymd(params.date_from) if params.date_from else None,
        date_to=ymd(params.date_to) if params.date_to else None,
        grades=params.grades,
        penalty_kinds=params.penalty_kinds,
        active=params.active,
    )


# -- URLs ----------------------------------------------------------------------


def url_of(obj) -> str:
    """The public page of an agency or record."""
    return agency_url(obj) if isinstance(obj, Agency) else record_url(obj)


# -- identifiers -----------------------------------------------------------------

_IDENT_SHAPE = re.compile(r"^[^\s]{5,80}$")


def find_identifier(raw: str):
    """The agency or public penalty whose USCC, licence or decision number is ``raw``."""
    ident = canonical_identifier(raw)
    if not _IDENT_SHAPE.match(ident) or not re.search(r"\d", ident):
        return None
    agency = db.session.scalar(
        sa.select(Agency).where(sa.or_(Agency.uscc == ident, Agency.licence_no == ident,
                                       Agency.licence_no == raw.strip()))
    )
    if agency is not None:
        return agency
    penalty = db.session.scalar(
        sa.select(Penalty).where(Penalty.decision_number == normalize(raw).strip())
    )
    if penalty is None:  # bracket variants: ask the index, which stores canonical forms
        keys = get_engine().find_identifier(ident, ymd(timeutil.today()))
        objs = load_objects([k for k in keys if k.startswith(("agency:", "penalty:"))])
        objs.sort(key=lambda o: 0 if isinstance(o, Agency) else 1)
        return objs[0] if objs else None
    return penalty if penalty.is_public() else None


# -- results -----------------------------------------------------------------------


@dataclass
class Hit:
    kind: str
    kind_label: str
    obj: object
    title: Markup
    snippet: Markup
    url: str | None
    date: dt.date | None


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchPage:
    params: SearchParams
    hits: list[Hit]
    total: int
    pages: int
    facets: dict[str, list[FacetValue]]
    redirect: str | None = None
    took_ms: float = 0.0
    available: bool = True
    searched: bool = False


def load_objects(keys: list[str]) -> list:
    """Rows for ``keys``, in the same order; keys whose row vanished are skipped."""
    by_kind: dict[str, list[int]] = {}
    for key in keys:
        kind, ident = split_key(key)
        by_kind.setdefault(kind, []).append(ident)
    found = {}
    for kind, ids in by_kind.items():
        model = MODEL_OF_KIND[kind]
        stmt = sa.select(model).where(model.id.in_(ids)).options(*_options(kind))
        for obj in db.session.scalars(stmt):
            found[f"{kind}:{obj.id}"] = obj
    return [found[k] for k in keys if k in found]


def _hit(obj, terms: list[str]) -> Hit:
    kind = "agency" if isinstance(obj, Agency) else register.of(obj).key
    title, texts = display_texts(obj)
    source = next((t for t in texts if t and any(normalize(w) in normalize(t) for w in terms)),
                  texts[0] if texts else "")
    date = getattr(obj, "record_date", None) if kind != "agency" else obj.established_on
    return Hit(kind=kind, kind_label=str(KIND_LABELS[kind]), obj=obj,
               title=highlight(title, terms, width=200), snippet=highlight(source, terms),
               url=url_of(obj), date=date)


def _facet_values(params: SearchParams, counts: dict[str, dict[str, int]]) -> dict:
    facets: dict[str, list[FacetValue]] = {}
    kc = counts.get("kind", {})
    facets["kind"] = [FacetValue(k, str(KIND_LABELS[k]), kc.get(k, 0), k in params.kinds)
                      for k in KINDS if kc.get(k) or k in params.kinds]
    gc = counts.get("grade", {})
    facets["grade"] = [FacetValue(g, g, gc.get(g, 0), g in params.grades)
                       for g in vocab.CREDIT_GRADES if gc.get(g) or g in params.grades]
    pc = counts.get("penalty_kinds", {})
    facets["penalty_kind"] = [FacetValue(p, p, pc.get(p, 0), p in params.penalty_kinds)
                              for p in vocab.PENALTY_KINDS
                              if pc.get(p) or p in params.penalty_kinds]
    ac = counts.get("active", {})
    facets["active"] = ([FacetValue("1", str(ACTIVE_LABELS["1"]), ac.get("1", 0), params.active)]
                        if ac.get("1") or params.active else [])
    # Regions: the level below the selected one (provinces when none is selected).
    rc = counts.get("region", {})
    codes = [c for c in rc if c != params.region]
    regions = []
    if codes:
        divs = db.session.scalars(sa.select(Division).where(Division.code.in_(codes))).all()
        for d in divs:
            top = params.region is None and d.level == "province"
            child = params.region is not None and d.parent_code == params.region
            if top or child:
                regions.append(FacetValue(d.code, d.name, rc[d.code], False))
    regions.sort(key=lambda f: (-f.count, f.value))
    facets["region"] = regions[:40]
    return facets


def region_name(code: str | None) -> str | None:
    if not code:
        return None
    div = db.session.get(Division, code)
    return div.name if div else code


def run_search(params: SearchParams) -> SearchPage:
    started = time.perf_counter()
    engine = get_engine()
    if engine.name == "none":
        return SearchPage(params, [], 0, 0, {}, available=False, searched=bool(params.q))
    if params.q and params.page == 1:
        target = find_identifier(params.q)
        if target is not None and (url := url_of(target)):
            return SearchPage(params, [], 1, 1, {}, redirect=url, searched=True)
    parsed = ParsedQuery(params.q, get_segmenter())
    request = SearchRequest(query=parsed, filters=filters_of(params), sort=params.sort,
                            offset=(params.page - 1) * PER_PAGE, limit=PER_PAGE)
    result = engine.search(request)
    terms = parsed.highlight_terms()
    hits = [_hit(obj, terms) for obj in load_objects(result.keys)]
    pages = min((result.total + PER_PAGE - 1) // PER_PAGE, MAX_PAGE)
    return SearchPage(params, hits, result.total, pages, _facet_values(params, result.facets),
                      took_ms=(time.perf_counter() - started) * 1000,
                      searched=bool(params.q) or bool(params.query_args(page=None)))


# -- autocomplete ----------------------------------------------------------------------


def suggest_agencies(text: str, limit: int = 8) -> list[Agency]:
    """Agencies matching ``text`` by name, former name (words or substring) or USCC prefix."""
    t = normalize(text or "").strip()[:60]
    limit = max(1, min(int(limit), 50))
    if not t:
        return []
    if re.fullmatch(r"[0-9a-z]{2,18}", t):
        stmt = (sa.select(Agency).where(Agency.uscc.startswith(t.upper(), autoescape=True))
                .order_by(Agency.uscc).limit(limit))
        found = list(db.session.scalars(stmt))
        if found:
            return found
    engine = get_engine()
    agencies: list[Agency] = []
    if engine.name != "none":
        parsed = ParsedQuery(t, get_segmenter())
        if not parsed.empty:
            req = SearchRequest(query=parsed, filters=Filters(today=ymd(timeutil.today()),
                                                              kinds=("agency",)),
                                limit=limit, facets=False, names_only=True)
            agencies = load_objects(engine.search(req).keys)
    if len(agencies) < limit:  # a name still being typed: substring match in the database
        like = _escape_like(t)
        former = sa.select(AgencyFormerName.agency_id).where(
            AgencyFormerName.name.like(like, escape="\\"))
        stmt = (sa.select(Agency)
                .where(sa.or_(Agency.name.like(like, escape="\\"), Agency.id.in_(former)))
                .order_by(sa.func.length(Agency.name), Agency.id)
                .limit(limit * 2))
        seen = {a.id for a in agencies}
        for a in db.session.scalars(stmt):
            if a.id not in seen and len(agencies) < limit:
                agencies.append(a)
    return agencies


def _escape_like(t: str) -> str:
    return "%" + t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def make_hx_redirect(url: str):
    from flask import make_response

    response = make_response("", 204)
    response.headers["HX-Redirect"] = url
    return response
