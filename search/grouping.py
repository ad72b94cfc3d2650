"""The grouped view: one result per agency, in tiers.

Ordering is a tiered sort, not a bonus added to a score:

0. agencies whose current or former name IS the query (identity keys, see
   :mod:`search.names`), whatever their records score;
1. everything the text query matches, grouped by agency (a group's rank is its
   best document's rank; records of unregistered parties are groups of their own);
2. when that finds less than a page: agencies whose name is one character off
   (edit distance 1, queries of 4+ characters) or sounds the same (pinyin).

The engine returns keys with their groups; this module fetches a window of
hits large enough to fill the page with distinct groups (growing it when a few
agencies hold many matching records) and counts the rest with an aggregation.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.register import queries, vocab
from portal.register.divisions import lineage
from portal.register.models import Agency, Division
from portal.site import zh

from . import get_engine
from .documents import agency_of_group, split_key
from .engines.base import Filters, NamePlan, SearchRequest, SearchResult
from .names import MIN_FUZZY_CHARS, identity_key, syllables
from .service import (
    KIND_LABELS,
    MAX_PAGE,
    PER_PAGE,
    Hit,
    Result,
    SearchPage,
    SearchParams,
    _facet_values,
    _hit,
    filters_of,
    load_objects,
    url_of,
)
from .text import ParsedQuery, highlight, normalize

WINDOW = 200  # hits fetched to fill a page with distinct groups …
MAX_WINDOW = 12_800  # … growing fourfold up to this many
SIMILAR_LIMIT = 10
FEW = 3  # fewer groups than this: "did you mean" names that look or sound alike
_CJK_WORD = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")

COUNT_LABELS = {
    "spot_check": _l("%(n)s 条抽查结果"),
    "penalty": _l("%(n)s 条行政处罚"),
    "credit_grade": _l("%(n)s 条信用评价"),
    "list_entry": _l("%(n)s 条名录记录"),
}
TIER_BADGES = {0: _l("名称一致"), 2: _l("名称相近")}
USCC_FACT = _l("统一社会信用代码 %(uscc)s")
GRADE_FACT = _l("信用等级 %(grade)s")
NO_GRADE_FACT = _l("暂无信用等级")
UNREGISTERED_FACT = _l("当事人不是登记在册的代理机构")
CERTIFICATE_FACT = _l("执业证号 %(no)s")  # issue 14 — patent agents
NO_AGENCY_FACT = _l("无登记的执业机构")


class _Labels:
    """The labels of one page, each translated once (a lazy string is looked up in the
    catalogue every time it is turned into text, and a page repeats them per result)."""

    def __init__(self) -> None:
        self.kinds = {k: str(v) for k, v in KIND_LABELS.items()}
        self.statuses = {k: str(v) for k, v in vocab.AGENCY_STATUSES.items()}
        self.counts = {k: str(v) for k, v in COUNT_LABELS.items()}
        self.uscc = str(USCC_FACT)
        self.grade = str(GRADE_FACT)
        self.no_grade = str(NO_GRADE_FACT)
        self.unregistered = str(UNREGISTERED_FACT)
        # issue 14 — patent agents
        self.certificate = str(CERTIFICATE_FACT)
        self.no_agency = str(NO_AGENCY_FACT)
        self.agent_statuses = {k: str(v) for k, v in vocab.AGENT_STATUSES.items()}


def identity_groups(q: str, filters: Filters) -> list[str]:
    """Groups of the agencies whose current or former name is ``q`` (identity keys equal)."""
    key = identity_key(q)
    if len(key) < 2:
        return []
    return get_engine().groups_matching([[("term", "name_key", key)]], filters, limit=20)


def similar_plan(q: str, parsed: ParsedQuery) -> NamePlan:
    """Names one character off (4+ characters), or names that sound like the query's words."""
    key = identity_key(q)
    plan: NamePlan = []
    if len(key) >= MIN_FUZZY_CHARS:
        plan.append([("fuzzy", "name_key", key)])
        if len(key) <= 8:
            plan.append([("fuzzy", "name_sub", key)])
    sounds = sound_pieces(parsed.words)
    if sounds:
        plan.append([("term", "name_py", s) for s in sounds])
    return plan


def sound_pieces(words: list[str]) -> list[str]:
    """A query of Chinese characters as its sound: the pinyin of consecutive pairs of
    characters (the last piece three when the count is odd), each of which the name must
    hold, so 太原创福 finds 太原市创富 (taiyuan + chuangfu) whatever the segmenter made of
    the unknown name.  [] when the query is not 2–12 Chinese characters."""
    text = "".join(words)
    if not 2 <= len(text) <= 12 or not all(_CJK_WORD.match(w) for w in words):
        return []
    syl = syllables(text)
    if len(syl) != len(text):
        return []
    cuts = list(range(0, len(syl) - 1, 2))
    pieces = ["".join(syl[a:b]) for a, b in zip(cuts, [*cuts[1:], len(syl)], strict=True)]
    return list(dict.fromkeys(pieces))


@dataclass
class _Main:
    """The text query's hits, grouped."""

    groups: list[str]  # in rank order
    best: dict[str, str]  # group -> its best key
    result: SearchResult  # the last (largest) window
    exhausted: bool  # the window holds every hit
    first: SearchResult  # the first window: facets, group count, per kind counts


def _main_groups(parsed: ParsedQuery, params: SearchParams, filters: Filters, need: int,
                 also: list[str]) -> _Main:
    """Fetch hits until they fill ``need`` distinct groups (or hold every match).

    The first request also asks for the facets, the number of groups and the per kind
    counts of the groups a page up to ``need`` can show (the first ``need`` groups and
    ``also``, the identity tier): one pass of the engine over every match."""
    engine = get_engine()
    window = max(WINDOW, need * 4)
    first: SearchResult | None = None
    while True:
        ask = first is None
        request = SearchRequest(query=parsed, filters=filters, sort=params.sort, offset=0,
                                limit=window, facets=ask, count_groups=ask,
                                kinds_of_top=need if ask else 0,
                                kinds_of=tuple(also) if ask else ())
        result = engine.search(request)
        first = first or result
        best: dict[str, str] = {}
        for key, group in zip(result.keys, result.groups, strict=True):
            best.setdefault(group, key)
        exhausted = len(result.keys) >= result.total
        if exhausted or len(best) >= need or window >= MAX_WINDOW:
            return _Main(list(best), best, result, exhausted, first)
        window *= 4


def _tiers(params: SearchParams, parsed: ParsedQuery, filters: Filters, main: list[str],
           identity: list[str]) -> tuple[list[str], dict[str, int]]:
    """All groups in tier order, and the tier of each (see the module's docstring).
    ``identity``: the identity tier (empty unless ranked by relevance)."""
    in_main = {g: i for i, g in enumerate(main)}
    first = sorted(identity, key=lambda g: (in_main.get(g, len(in_main)), g))
    tiers = dict.fromkeys(first, 0)
    order = first + [g for g in main if g not in tiers]
    tiers.update((g, 1) for g in main if g not in tiers)
    ranked = params.sort == "relevance" and not parsed.empty
    plan = similar_plan(params.q, parsed) if ranked and len(order) < PER_PAGE else []
    if plan:
        similar = [g for g in get_engine().groups_matching(plan, filters, SIMILAR_LIMIT)
                   if g not in tiers]
        tiers.update((g, 2) for g in similar)
        order += similar
    return order, tiers


def _group_counts(parsed: ParsedQuery, filters: Filters, main: _Main, order: list[str],
                  page_groups: list[str]) -> tuple[int, dict[str, Counter]]:
    """(distinct groups of the whole result, per kind counts of the page's groups)."""
    kinds: dict[str, Counter] = defaultdict(Counter)
    if main.exhausted:  # every hit is known: count here
        for key, group in zip(main.result.keys, main.result.groups, strict=True):
            kinds[group][split_key(key)[0]] += 1
        return len(order), kinds
    # Counted by the engine over every match, with the first window when it could.
    in_main = set(main.groups)
    counted = main.first.group_total
    known = main.first.group_kinds or {}
    kinds.update((g, Counter(c)) for g, c in known.items() if c)
    missing = [g for g in page_groups if g in in_main and g not in known]
    if missing or counted is None:
        stats = get_engine().group_stats(SearchRequest(query=parsed, filters=filters),
                                         missing, total=counted is None)
        counted = stats.total if counted is None else counted
        kinds.update((g, Counter(c)) for g, c in stats.kinds.items())
    return counted + sum(1 for g in order if g not in in_main), kinds


def grouped_page(params: SearchParams, parsed: ParsedQuery) -> SearchPage:
    filters = filters_of(params)
    need = params.page * PER_PAGE
    ranked = params.sort == "relevance" and not parsed.empty
    identity = identity_groups(params.q, filters) if ranked else []
    main = _main_groups(parsed, params, filters, need, identity)
    best, result, facets = main.best, main.result, main.first.facets
    order, tiers = _tiers(params, parsed, filters, main.groups, identity)
    page_groups = order[(params.page - 1) * PER_PAGE:need]
    total_groups, kinds = _group_counts(parsed, filters, main, order, page_groups)
    results = build_results(params, parsed, page_groups, best, tiers, kinds)
    pages = min((total_groups + PER_PAGE - 1) // PER_PAGE, MAX_PAGE)
    page = SearchPage(params, [r.hit for r in results], total_groups, pages,
                      _facet_values(params, facets), results=results,
                      total_records=result.total)
    if ranked and sum(1 for t in tiers.values() if t < 2) < FEW:
        page.did_you_mean = [r.agency for r in results if r.tier == 2 and r.agency][:FEW]
    return page


# -- building the results of a page -----------------------------------------------


def build_results(params: SearchParams, parsed: ParsedQuery, groups: list[str],
                  best: dict[str, str], tiers: dict[str, int], kinds) -> list:
    # issue 14 — patent agents: "agent:5" starts with "a" too: agency_of_group tells them apart
    agency_ids = [i for i in map(agency_of_group, groups) if i is not None]
    keys = [best.get(g, f"agency:{g[1:]}" if agency_of_group(g) is not None else g)
            for g in groups]
    # The page's agencies once (with their former names), then the records: a record's
    # agency is one of them, so it comes from the session without another query.
    agencies = {a.id: a for a in db.session.scalars(
        sa.select(Agency).where(Agency.id.in_(agency_ids))
        .options(selectinload(Agency.former_names)))} if agency_ids else {}
    objects: dict[str, object] = {f"agency:{i}": a for i, a in agencies.items()}
    loaded = load_objects([k for k in keys if k not in objects], agencies_loaded=True)
    objects.update(zip(_keys_of(loaded), loaded, strict=True))
    grades = queries.current_grades(agency_ids)
    places = _places([a.division_code for a in agencies.values()])
    terms = parsed.highlight_terms()
    key_of_query = identity_key(params.q)
    labels = _Labels()
    out = []
    for group, key in zip(groups, keys, strict=True):
        obj = objects.get(key)
        agency_id = agency_of_group(group)
        agency = agencies.get(agency_id) if agency_id is not None else None
        if obj is None and agency is None:
            continue  # deleted since it was indexed
        counts = kinds.get(group, Counter())
        result = (_agency_result(group, agency, obj, terms, (grades, places, labels), counts)
                  if agency is not None else _record_result(group, obj, terms, counts, labels))
        result.tier = tiers.get(group, 1)
        _badges(result, key_of_query, terms)
        result.all_url = url_for("search.search", **params.query_args(
            group=group, view="records", page=None)) if result.matched > 1 else None
        out.append(result)
    return out


def _keys_of(objs) -> list[str]:
    from .documents import key_of

    return [key_of(o) for o in objs]


def _places(codes) -> dict[str, str]:
    """Division code -> its full name (province, city, district), one query for a page."""
    wanted = {c for code in set(codes) for c in lineage(code)}
    names = dict(db.session.execute(sa.select(Division.code, Division.name)
                                    .where(Division.code.in_(wanted))).all()) if wanted else {}
    return {code: "".join(names[c] for c in lineage(code) if c in names) or code
            for code in set(codes)}


def _agency_result(group, agency: Agency, obj, terms, page, counts) -> Result:
    """``page``: (agency id -> grade, division code -> place, the page's labels)."""
    grades, places, labels = page
    best = (_hit(obj, terms, labels.kinds) if obj is not None and not isinstance(obj, Agency)
            else None)
    if best is None:
        hit = _hit(agency, terms, labels.kinds)
    else:  # the snippet is the record's: the agency's own is not needed
        hit = Hit(kind="agency", kind_label=labels.kinds["agency"], obj=agency,
                  title=highlight(agency.name, terms, width=200), snippet=Markup(""),
                  url=url_of(agency), date=agency.established_on)
    grade = grades.get(agency.id)
    facts = [labels.statuses.get(agency.status, str(agency.status)),
             places.get(agency.division_code, agency.division_code),
             labels.uscc % {"uscc": agency.uscc},
             labels.grade % {"grade": grade} if grade else labels.no_grade]
    count_labels = [labels.counts[k] % {"n": counts[k]} for k in COUNT_LABELS if counts.get(k)]
    return Result(group=group, tier=1, hit=hit, best=best, agency=agency, facts=facts,
                  counts=count_labels, matched=sum(counts.values()))


def _record_result(group, obj, terms, counts, labels: _Labels) -> Result:
    hit = _hit(obj, terms, labels.kinds)
    # issue 14 — typical cases: a case's fact is its publisher
    facts = [obj.publisher_name] if hit.kind == "case" else [labels.unregistered]
    if hit.kind == "agent":  # issue 14 — patent agents: certificate number, agency, status
        facts = [labels.certificate % {"no": obj.certificate_no},
                 obj.agency.name if obj.agency is not None else labels.no_agency,
                 labels.agent_statuses.get(obj.status, obj.status)]
    return Result(group=group, tier=1, hit=hit, facts=facts,
                  matched=sum(counts.values()) or 1)


def _badges(result: Result, key_of_query: str, terms: list[str]) -> None:
    agency = result.agency
    if result.tier == 0 and agency is not None:
        result.badges.append(str(_l("名称一致")) if identity_key(agency.name) == key_of_query
                             else str(_l("曾用名一致")))
    elif result.tier in TIER_BADGES:
        result.badges.append(str(TIER_BADGES[result.tier]))
    if result.best is not None and agency is not None:
        names = normalize(" ".join([agency.name, *(f.name for f in agency.former_names)]))
        rest = [t for t in terms if normalize(t) not in names]
        shown = normalize(str(result.best.snippet.striptags())
                          + str(result.best.title.striptags())) if rest else ""
        own = [t for t in rest if t in shown]
        if own:  # the terms are Chinese on an English page too: marked for screen readers
            terms_html = Markup("”“").join(zh(t) for t in own[:3])
            wording = str(_l("匹配“%(terms)s”", terms="%(terms)s"))
            result.badges.append(Markup(escape(wording)) % {"terms": terms_html})
