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
from sqlalchemy.orm import selectinload

from portal import timeutil
from portal.extensions import db
from portal.register import kinds as register
from portal.register import vocab
from portal.register.models import (  # issue 14 — patent agents: Agent
    Agency,
    AgencyFormerName,
    Agent,
    Division,
    Penalty,
)
from portal.register.urls import agency_url, agent_url, record_url

from . import get_engine, get_segmenter
from .documents import (
    AGENT,  # issue 14 — patent agents
    CASE,
    INDEXED_KINDS,
    MODEL_OF_KIND,
    _options,
    agency_of_group,
    display_texts,
    key_of,
    split_key,
    ymd,
)
from .engines.base import Filters, SearchRequest
from .names import uscc_is_valid, uscc_problem
from .text import MAX_QUERY_CHARS, ParsedQuery, canonical_identifier, highlight, normalize

PER_PAGE = 20
MAX_PAGE = 250
KIND_LABELS = {dataset.key: dataset.label for dataset in register.DATASETS}
KIND_LABELS[CASE] = _l("典型案例")  # issue 14 — typical cases
ACTIVE_LABELS = {"1": _l("仍在名录中"), "0": _l("已移出")}
SORTS = {"relevance": _l("相关度"), "date": _l("日期（新到旧）")}
VIEWS = ("agencies", "records")  # one result per agency (default), or every record
_GROUP = re.compile(r"^a\d{1,12}$|^[a-z_]{3,20}:\d{1,12}$")


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
    view: str = "agencies"
    group: str | None = None  # one agency's matching records ("a<id>")
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
            "view": self.view if self.view != "agencies" else None,
            "group": self.group,
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
    group = (args.get("group") or "").strip()
    group = group if _GROUP.match(group) else None
    # One agency's records are a list of records.
    view = "records" if group or args.get("view") == "records" else "agencies"
    return SearchParams(view=view, group=group, q=q,
                        kinds=_chosen(args, "kind", INDEXED_KINDS),
                        region=region,
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
        group=params.group,
    )


# -- URLs ----------------------------------------------------------------------


def url_of(obj) -> str:
    """The public page of an agency or record (or typical case)."""
    if split_key(key_of(obj))[0] == CASE:  # issue 14 — typical cases
        from flask import url_for

        return url_for("cases.detail", case_id=obj.id)
    if isinstance(obj, Agent):  # issue 14 — patent agents
        return agent_url(obj)
    return agency_url(obj) if isinstance(obj, Agency) else record_url(obj)


# -- identifiers -----------------------------------------------------------------

_IDENT_SHAPE = re.compile(r"^[^\s]{5,80}$")


def find_identifier(raw: str):
    """The agency or public penalty whose USCC, licence or decision number is ``raw``
    (or the agent whose certificate number it is: issue 14)."""
    ident = canonical_identifier(raw)
    if not _IDENT_SHAPE.match(ident) or not re.search(r"\d", ident):
        return None
    agent = db.session.scalar(sa.select(Agent).where(Agent.certificate_no == ident))
    if agent is not None:  # issue 14 — patent agents: a certificate number typed in full
        return agent
    agency = db.session.scalar(
        sa.select(Agency).where(sa.or_(Agency.uscc == ident, Agency.licence_no == ident,
                                       Agency.licence_no == raw.strip()))
    )
    if agency is not None:
        return agency
    penalty = db.session.scalar(
        sa.select(Penalty).where(Penalty.decision_key == register.decision_key(raw))
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
class Result:
    """One result of the grouped view: an agency with what matched, or a record on its own."""

    group: str
    tier: int  # 0 the agency's own name, 1 text relevance, 2 a similar name
    hit: Hit  # the agency (or the record) itself
    best: Hit | None = None  # the best matching record of an agency
    agency: Agency | None = None
    facts: list[str] = field(default_factory=list)  # status, place, USCC, grade
    badges: list[str] = field(default_factory=list)  # what matched
    counts: list[str] = field(default_factory=list)  # "3 条行政处罚"
    matched: int = 0  # matching documents of the group (for "show all")
    all_url: str | None = None


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
    results: list[Result] = field(default_factory=list)  # the grouped view
    total_records: int = 0
    did_you_mean: list[Agency] = field(default_factory=list)
    uscc_notice: tuple[str, str] | None = None  # (typed, with the right check character)
    uscc_matches: list[Agency] = field(default_factory=list)


def load_objects(keys: list[str], agencies_loaded: bool = False) -> list:
    """Rows for ``keys``, in the same order; keys whose row vanished are skipped.

    ``agencies_loaded``: the records' agencies (with their former names) are already in
    the session, so they are not loaded again."""
    by_kind: dict[str, list[int]] = {}
    for key in keys:
        kind, ident = split_key(key)
        by_kind.setdefault(kind, []).append(ident)
    found = {}
    for kind, ids in by_kind.items():
        model = MODEL_OF_KIND[kind]
        options = _options(kind)
        if agencies_loaded and kind not in ("agency", CASE, AGENT):  # issue 14: no bureau
            options = [selectinload(model.bureau)] if register.get(kind).agency_optional else []
        stmt = sa.select(model).where(model.id.in_(ids)).options(*options)
        for obj in db.session.scalars(stmt):
            found[f"{kind}:{obj.id}"] = obj
    return [found[k] for k in keys if k in found]


def _hit(obj, terms: list[str], kind_labels: dict[str, str] | None = None) -> Hit:
    """A result row; ``kind_labels``: KIND_LABELS already translated (for a whole page)."""
    kind = split_key(key_of(obj))[0]  # issue 14 — typical cases: any indexed kind
    title, texts = display_texts(obj)
    wanted = [normalize(w) for w in terms]
    source = next((t for t in texts if t and _holds_any(normalize(t), wanted)),
                  texts[0] if texts else "")
    date = getattr(obj, "record_date", None) if kind != "agency" else obj.established_on
    kind_label = kind_labels[kind] if kind_labels else str(KIND_LABELS[kind])
    return Hit(kind=kind, kind_label=kind_label, obj=obj,
               title=highlight(title, terms, width=200), snippet=highlight(source, terms),
               url=url_of(obj), date=date)


def _holds_any(text: str, terms: list[str]) -> bool:
    return any(term in text for term in terms)


def _facet_values(params: SearchParams, counts: dict[str, dict[str, int]]) -> dict:
    facets: dict[str, list[FacetValue]] = {}
    kc = counts.get("kind", {})
    facets["kind"] = [FacetValue(k, str(KIND_LABELS[k]), kc.get(k, 0), k in params.kinds)
                      for k in INDEXED_KINDS if kc.get(k) or k in params.kinds]
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


def parsed_query(q: str) -> ParsedQuery:
    """The visitor's query with the synonyms in force."""
    return ParsedQuery(q, get_segmenter(), synonyms=current_synonyms())


def current_synonyms():
    from flask import current_app

    from .synonyms import SynonymFile

    holder = current_app.extensions.get("search_synonyms")
    if holder is None:
        holder = SynonymFile(current_app.config.get("SEARCH_SYNONYMS"))
        current_app.extensions["search_synonyms"] = holder
    return holder.get()


def run_search(params: SearchParams) -> SearchPage:
    started = time.perf_counter()
    engine = get_engine()
    if engine.name == "none":
        return SearchPage(params, [], 0, 0, {}, available=False, searched=bool(params.q))
    if params.q and params.page == 1:
        target = find_identifier(params.q)
        if target is not None and (url := url_of(target)):
            return SearchPage(params, [], 1, 1, {}, redirect=url, searched=True)
    parsed = parsed_query(params.q)
    if params.view == "records":
        page = _flat_page(params, parsed)
    else:
        from .grouping import grouped_page

        page = grouped_page(params, parsed)
    if params.q and params.page == 1:
        _identifier_help(page)
    page.took_ms = (time.perf_counter() - started) * 1000
    page.searched = bool(params.q) or bool(params.query_args(page=None, view=None))
    return page


def _flat_page(params: SearchParams, parsed: ParsedQuery) -> SearchPage:
    request = SearchRequest(query=parsed, filters=filters_of(params), sort=params.sort,
                            offset=(params.page - 1) * PER_PAGE, limit=PER_PAGE)
    result = get_engine().search(request)
    terms = parsed.highlight_terms()
    hits = [_hit(obj, terms) for obj in load_objects(result.keys)]
    pages = min((result.total + PER_PAGE - 1) // PER_PAGE, MAX_PAGE)
    return SearchPage(params, hits, result.total, pages, _facet_values(params, result.facets),
                      total_records=result.total)


def _identifier_help(page: SearchPage) -> None:
    """A USCC-shaped query with a wrong check character: say so, offer the nearest valid ones."""
    problem = uscc_problem(page.params.q)
    if problem is None:
        return
    page.uscc_notice = problem
    typed, corrected = problem
    found = list(db.session.scalars(sa.select(Agency).where(Agency.uscc == corrected)))
    if not found:  # one character mistyped elsewhere: USCCs at edit distance 1
        plan = [[("fuzzy", "ids", typed)]]
        groups = get_engine().groups_matching(plan, Filters(today=ymd(timeutil.today()),
                                                            kinds=("agency",)), limit=10)
        ids = [int(g[1:]) for g in groups if g.startswith("a")]
        if ids:
            found = [a for a in db.session.scalars(sa.select(Agency).where(Agency.id.in_(ids)))
                     if uscc_is_valid(a.uscc)]
            found.sort(key=lambda a: a.uscc)
    page.uscc_matches = found[:5]


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
        from .grouping import identity_groups

        filters = Filters(today=ymd(timeutil.today()), kinds=("agency",))
        first = [f"agency:{g[1:]}" for g in identity_groups(t, filters) if g.startswith("a")]
        parsed = ParsedQuery(t, get_segmenter())
        keys = list(first)
        if not parsed.empty:
            req = SearchRequest(query=parsed, filters=filters, limit=limit, facets=False,
                                names_only=True)
            keys += [k for k in engine.search(req).keys if k not in first]
        agencies = load_objects(keys[:limit])
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


# -- the active filters, each removable ------------------------------------------------


@dataclass
class ActiveFilter:
    label: str
    remove_url: str


def active_filters(params: SearchParams) -> list[ActiveFilter]:
    """The filters in force, with the URL of the same search without each one."""
    from flask import url_for

    def without(**changes) -> str:
        return url_for("search.search", **params.query_args(page=None, **changes))

    out = [ActiveFilter(str(KIND_LABELS[k]), without(kind=[x for x in params.kinds if x != k]))
           for k in params.kinds]
    if params.region:
        out.append(ActiveFilter(region_name(params.region) or params.region,
                                without(region=None)))
    if params.date_from:
        out.append(ActiveFilter(str(_l("自 %(d)s", d=params.date_from.isoformat())),
                                without(date_from=None)))
    if params.date_to:
        out.append(ActiveFilter(str(_l("至 %(d)s", d=params.date_to.isoformat())),
                                without(date_to=None)))
    out += [ActiveFilter(str(_l("信用等级 %(grade)s", grade=g)),
                         without(grade=[x for x in params.grades if x != g]))
            for g in params.grades]
    out += [ActiveFilter(p, without(penalty_kind=[x for x in params.penalty_kinds if x != p]))
            for p in params.penalty_kinds]
    if params.active:
        out.append(ActiveFilter(str(ACTIVE_LABELS["1"]), without(active=None)))
    if params.group:
        out.append(ActiveFilter(_group_label(params.group), without(group=None, view=None)))
    return out


def _group_label(group: str) -> str:
    if agency_of_group(group) is not None:  # issue 14: "agent:5" is not an agency's group
        agency = db.session.get(Agency, agency_of_group(group))
        if agency is not None:
            return str(_l("仅“%(name)s”的信息", name=agency.name))
    return str(_l("仅一家机构的信息"))
