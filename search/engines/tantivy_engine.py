"""tantivy engine (the default): Rust, embedded, installs as a wheel.

tantivy-py has no Chinese tokenizer, so text arrives pre-segmented (rjieba,
search mode, domain words; see ``search.text``) and space-joined; the index
splits it on whitespace.  Phrases are phrase queries over the bigram fields.
Readers reload when the generation's ``meta.json`` changes, so a commit made
by another process is visible on the next query.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from typing import Any

import orjson
import tantivy
from tantivy import Filter, Occur, Query, SchemaBuilder, TextAnalyzerBuilder, Tokenizer

from .base import (
    FACETS,
    Engine,
    Filters,
    GroupStats,
    NamePlan,
    SearchRequest,
    SearchResult,
    word_clauses,
)

log = logging.getLogger(__name__)
WRITER_HEAP = 50_000_000
BULK_HEAP = 600_000_000  # one indexing thread: ~250k documents per segment
REGION_LEVELS = ("region0", "region1", "region2")


def _schema():
    sb = SchemaBuilder()
    sb.add_text_field("key", stored=True, tokenizer_name="raw")
    sb.add_text_field("stamp", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("kind", tokenizer_name="raw", fast=True, index_option="basic")
    # ``group``: the agency a document belongs to (results are grouped by it).
    sb.add_text_field("group", stored=True, tokenizer_name="raw", fast=True,
                      index_option="basic")
    for name in ("name", "former", "body", "name_py"):
        sb.add_text_field(name, tokenizer_name="ws", index_option="freq")
    for name in ("name_bg", "body_bg"):
        sb.add_text_field(name, tokenizer_name="ws", index_option="position")
    for name in ("name_key", "name_sub", "ids"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    # ``region`` holds the division code with its parents (filtering at any
    # level); ``region0..2`` hold one level each, single-valued, for the facet:
    # counting one level is much cheaper than counting every ancestor.
    sb.add_text_field("region", tokenizer_name="raw", index_option="basic")
    for name in (*REGION_LEVELS, "grade", "penalty_kinds", "active"):
        sb.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    # ``date`` is sorted on and filtered by ranges the visitor picks: a column
    # (fast field).  The publication window is only ever used to EXCLUDE the
    # few documents outside it today: indexed, so that exclusion reads just
    # their posting lists (a column range would scan the whole column).
    sb.add_integer_field("date", indexed=False, fast=True)
    for name in ("pub_from", "pub_to"):
        sb.add_integer_field(name, indexed=True, fast=False)
    return sb.build()


SCHEMA = _schema()
_WS = TextAnalyzerBuilder(Tokenizer.whitespace()).filter(Filter.lowercase()).build()


def _open(path: str, create: bool = False) -> tantivy.Index:
    if create:
        os.makedirs(path, exist_ok=True)
    index = tantivy.Index(SCHEMA, path=path, reuse=not create)
    index.register_tokenizer("ws", _WS)
    return index


_TEXT_FIELDS = ("key", "stamp", "kind", "group", "name", "former", "body", "name_bg", "body_bg",
                "name_py", "grade", "active",  # one value each
                "name_key", "name_sub", "ids", "region", "penalty_kinds")  # lists


def _fields(doc: dict) -> dict[str, Any]:
    """An analysed document's values per index field (empty texts left out)."""
    fields: dict[str, Any] = {name: doc[name] for name in _TEXT_FIELDS if doc[name]}
    fields.update(zip(REGION_LEVELS, doc["region"], strict=False))
    fields.update(date=int(doc["date"]), pub_from=int(doc["pub_from"]),
                  pub_to=int(doc["pub_to"]))
    return fields


def _document(doc: dict) -> tantivy.Document:
    # Built from keyword arguments in one call: several times cheaper than a call per value.
    return tantivy.Document(**_fields(doc))


def bulk_json(doc: dict) -> bytes:
    """A document as the UTF-8 JSON tantivy parses itself (``IndexWriter.add_json``): what
    a rebuild's workers send, since one string crosses between processes far more cheaply
    than the many strings of an analysed document, and bytes more cheaply than a string
    (pickling Chinese text encodes and decodes it again: ~5x the cost)."""
    return orjson.dumps(_fields(doc))


_BASIC = {"name_key", "name_sub", "ids"}


def _term(field: str, value: str, boost: float = 1.0):
    option = "basic" if field in _BASIC else "freq"
    q = Query.term_query(SCHEMA, field, value, index_option=option)
    return Query.boost_query(q, boost) if boost != 1.0 else q


def _const(field: str, value: str, score: float):
    return Query.const_score_query(Query.term_query(SCHEMA, field, value, index_option="basic"),
                                   score)


def _phrase(field: str, tokens: list[Any], boost: float = 1.0):
    if len(tokens) == 1:
        return _term(field, tokens[0], boost)
    q = Query.phrase_query(SCHEMA, field, tokens)
    return Query.boost_query(q, boost) if boost != 1.0 else q


def _any(queries):
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def _all(queries):
    return Query.boolean_query([(Occur.Must, q) for q in queries])


def _one_of(field: str, values) -> Query:
    values = list(values)
    if len(values) == 1:
        return Query.term_query(SCHEMA, field, values[0], index_option="basic")
    return Query.term_set_query(SCHEMA, field, values)


_INT = tantivy.FieldType.Integer


def _window_excluded(today: int):
    """Documents outside their publication window today: few, so the query
    excludes them (one union) instead of intersecting with two ranges."""
    return _any([
        Query.range_query(SCHEMA, "pub_from", _INT, today + 1, None),
        Query.range_query(SCHEMA, "pub_to", _INT, None, today - 1),
    ])


def _filter_clauses(f: Filters) -> list:
    int_t = _INT
    clauses = []
    if f.kinds:
        clauses.append(_one_of("kind", f.kinds))
    if f.region:
        clauses.append(_one_of("region", [f.region]))
    if f.date_from or f.date_to:
        clauses.append(Query.range_query(SCHEMA, "date", int_t, f.date_from, f.date_to))
    if f.grades:
        clauses.append(_one_of("grade", f.grades))
    if f.penalty_kinds:
        clauses.append(_one_of("penalty_kinds", f.penalty_kinds))
    if f.active:
        clauses.append(_one_of("active", ["1"]))
    if f.group:
        clauses.append(_one_of("group", [f.group]))
    return clauses


def text_query(q, names_only: bool = False, rank: bool = True):
    """The scored part: every word and phrase required; exact names and phrases boosted.
    ``rank=False``: only what decides whether a document matches (the same documents,
    without the ranking-only phrase clauses), for the passes that count rather than rank."""
    if q.empty:
        return None
    # With one chunk, the whole query as a phrase IS the chunk as a phrase:
    # one phrase clause with the summed boosts scores the same, evaluated once.
    whole_is_chunk = len(q.groups) == 1 and q.whole_bigrams == q.groups[0][1]
    must, should = _chunk_clauses(q, names_only, whole_is_chunk)
    must += [_quoted_phrase_clause(tokens, word, names_only)
             for tokens, word in zip(q.phrase_tokens, q.phrase_words, strict=True)]
    should += _bonus_clauses(q, names_only, whole_is_chunk)
    if not rank:
        should = []
    return Query.boolean_query(
        [(Occur.Must, m) for m in must] + [(Occur.Should, s) for s in should]
    )


def _chunk_clauses(q, names_only: bool, whole_is_chunk: bool) -> tuple[list, list]:
    """One required clause per chunk of the query (its words, or the chunk as a phrase),
    and the ranking-only phrase clauses of chunks whose words find every match."""
    must: list = []
    should: list = []
    for (words, chunk), covered in zip(q.groups, q.covered, strict=True):
        each = []
        for word, bgs in words:
            options = [(_term if kind == "term" else _phrase)(field, value, boost)
                       for kind, field, value, boost in word_clauses(word, bgs, names_only)]
            each.append(_any(options))
        alternatives = [_all(each)] if len(each) > 1 else each
        alternatives += _synonym_clauses(q.synonym_alternatives[len(must)], names_only)
        if chunk and len(words) > 1:
            name_boost, body_boost = (9.0, 3.0) if whole_is_chunk else (3.0, 1.0)
            phrases = [_phrase("name_bg", chunk, name_boost)]
            if not names_only:
                phrases.append(_phrase("body_bg", chunk, body_boost))
            # Words that are indexed wherever they occur already find every
            # text holding the chunk: the phrase only ranks (checked on their matches).
            (should if covered else alternatives).extend(phrases)
        must.append(_any(alternatives) if len(alternatives) > 1 else alternatives[0])
    return must, should


def _synonym_clauses(alternatives, names_only: bool) -> list:
    """A chunk holding a synonym term also matches what the term means (and its other words)."""
    out = []
    for phrases, rest in alternatives:
        meant = []
        for tokens in phrases:
            meant.append(_phrase("name_bg", tokens, 3.0))
            if not names_only:
                meant.append(_phrase("body_bg", tokens, 1.0))
        required = [_any(meant)]
        for word, bgs in rest:
            required.append(_any([(_term if kind == "term" else _phrase)(field, value, boost)
                                  for kind, field, value, boost
                                  in word_clauses(word, bgs, names_only)]))
        out.append(_all(required) if len(required) > 1 else required[0])
    return out


def _quoted_phrase_clause(tokens: list[str], word: str | None, names_only: bool):
    """A quoted phrase, required: one dictionary word is indexed as a word wherever it
    occurs; anything else is matched as a bigram phrase."""
    if word:
        options = [_term("name", word, 5.0), _term("former", word, 5.0)]
        if not names_only:
            options.append(_term("body", word, 1.5))
    else:
        options = [_phrase("name_bg", tokens, 5.0)]
        if not names_only:
            options.append(_phrase("body_bg", tokens, 1.5))
    return _any(options)


def _bonus_clauses(q, names_only: bool, whole_is_chunk: bool) -> list:
    """Identifiers get a constant bonus; the whole query as a phrase ranks.  (An agency's
    exact name is not a bonus: the service ranks it first as a tier of its own.)"""
    should = []
    if q.identifier:
        should.append(_const("ids", q.identifier, 100.0))
    if q.whole_bigrams and not whole_is_chunk:
        should.append(_phrase("name_bg", q.whole_bigrams, 6.0))
        if not names_only:
            should.append(_phrase("body_bg", q.whole_bigrams, 2.0))
    return should


def _full_query(scored, filters: Filters):
    clauses = [(Occur.Must, Query.const_score_query(c, 0.0)) for c in _filter_clauses(filters)]
    if scored is not None:
        clauses.append((Occur.Must, scored))
    if not clauses:
        clauses.append((Occur.Must, Query.all_query()))
    clauses.append((Occur.MustNot, _window_excluded(filters.today)))
    return Query.boolean_query(clauses)


def _group_aggs(request: SearchRequest, groups: list[str], every_hit: bool) -> dict:
    """The aggregations that count groups for ``request`` (see SearchRequest)."""
    aggs: dict[str, dict] = {}
    if every_hit:  # the hits themselves are every match: nothing to aggregate
        return aggs
    if request.count_groups:
        aggs["_groups"] = {"cardinality": {"field": "group"}}
    if request.kinds_of_top or request.kinds_of:
        wanted = list(dict.fromkeys(
            [*request.kinds_of, *list(dict.fromkeys(groups))[:request.kinds_of_top]]))
        if wanted:
            aggs["_kinds"] = {"terms": {"field": "group", "size": len(wanted), "include": wanted},
                              "aggs": {"k": {"terms": {"field": "kind", "size": 10}}}}
    return aggs


def _read_group_aggs(out: SearchResult, aggs: dict, res: dict) -> None:
    if "_groups" in aggs:
        out.group_total = round(res["_groups"]["value"] or 0)
    if "_kinds" in aggs:
        out.group_kinds = {g: {} for g in aggs["_kinds"]["terms"]["include"]}
        out.group_kinds.update((b["key"], {k["key"]: k["doc_count"] for k in b["k"]["buckets"]})
                               for b in res["_kinds"]["buckets"])


COUNT_CACHE_SIZE = 512


class _CountCache:
    """Aggregation results (facet, group and per kind counts) of recent queries, keyed by
    the index commit they were counted on and the query and aggregations themselves: a
    commit changes the key, so an entry is never stale, only unreachable (and evicted).
    Broad queries (专利代理, 罚款) are the common ones and the costly ones to count."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> dict | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, value: dict) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class _View:
    """One searcher, the commit it shows (``stamp``), and counting through the cache."""

    def __init__(self, searcher, stamp: tuple, counts: _CountCache) -> None:
        self.searcher = searcher
        self.stamp = stamp
        self.counts = counts

    def aggregate(self, query, aggs: dict) -> dict:
        # A query's repr is its whole structure (fields, terms, boosts, clauses).
        key = (self.stamp, repr(query), json.dumps(aggs, sort_keys=True))
        found = self.counts.get(key)
        if found is None:
            found = self.searcher.aggregate(query, aggs)
            self.counts.put(key, found)
        return found


class TantivyEngine(Engine):
    name = "tantivy"
    segmenter_flavour = "rjieba"

    def __init__(self, index_dir: str):
        super().__init__(index_dir)
        self._open_lock = threading.Lock()
        self._gen: str | None = None
        self._index: tantivy.Index | None = None
        self._meta_sig: tuple[int, int, int] | None = None
        self._unusable: str | None = None  # a generation that failed to open (logged once)
        self._counts = _CountCache(COUNT_CACHE_SIZE)

    # -- reading ---------------------------------------------------------------
    def _reader(self) -> tantivy.Index | None:
        """The current generation's index, reloaded if another writer committed."""
        current = self._current()
        return current[0] if current else None

    def _view(self) -> _View | None:
        """A searcher of the current generation, with the stamp of the commit it shows at
        least (the stamp is read before the searcher is taken: a count cached under it is
        never older than the commit it names)."""
        current = self._current()
        if current is None:
            return None
        index, stamp = current
        return _View(index.searcher(), stamp, self._counts)

    def _current(self) -> tuple[tantivy.Index, tuple] | None:
        name = self.current_generation()
        if name is None:
            return None
        path = self.gen_path(name)
        try:
            st = os.stat(os.path.join(path, "meta.json"))
        except FileNotFoundError:
            return None
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._open_lock:
            if name == self._unusable:
                return None
            if name != self._gen or self._index is None:
                try:
                    self._index = _open(path)
                except ValueError:
                    # An index written by an older version (another schema):
                    # nothing is found until `portal search rebuild` replaces it.
                    log.exception("search: cannot open %s; run `portal search rebuild`", path)
                    self._unusable = name
                    return None
                self._gen = name
                self._meta_sig = sig
            elif sig != self._meta_sig:
                self._index.reload()
                self._meta_sig = sig
            return self._index, (name, sig)

    def search(self, request: SearchRequest) -> SearchResult:
        view = self._view()
        if view is None:
            return SearchResult(keys=[], total=0, facets={})
        searcher = view.searcher
        scored = text_query(request.query, names_only=request.names_only)
        query = _full_query(scored, request.filters)
        sort = request.sort if scored is not None else "date"
        kwargs: dict[str, Any] = {"order_by_field": "date"} if sort == "date" else {}
        result = searcher.search(query, request.limit, count=True, offset=request.offset,
                                 **kwargs)
        keys, groups = [], []
        for _score, addr in result.hits:
            doc = searcher.doc(addr)
            keys.append(doc["key"][0])
            groups.append(doc["group"][0])
        total: int = result.count  # type: ignore[attr-defined]  # present with count=True
        out = SearchResult(keys=keys, total=total, groups=groups)
        if request.facets:  # group counts ride along with the facets' pass
            extra = _group_aggs(request, groups, every_hit=request.offset == 0
                                and len(keys) >= total)
            matching = text_query(request.query, names_only=request.names_only, rank=False)
            out.facets, res = self._facets(view, matching, request.filters, extra)
            _read_group_aggs(out, extra, res)
            if request.count_groups and out.group_total is None:  # every hit is here
                out.group_total = len(set(groups))
        elif request.count_groups:
            matching = text_query(request.query, names_only=request.names_only, rank=False)
            out.group_total = self._group_count(view, _full_query(matching, request.filters))
        return out

    @staticmethod
    def _group_count(view: _View, query) -> int:
        res = view.aggregate(query, {"n": {"cardinality": {"field": "group"}}})
        return round(res["n"]["value"] or 0)

    def groups_matching(self, plan: NamePlan, filters: Filters, limit: int = 50) -> list[str]:
        view = self._view()
        if view is None or not plan:
            return []
        alternatives = []
        for clauses in plan:
            parts = [_term(field, value) if kind == "term" else
                     Query.fuzzy_term_query(SCHEMA, field, value, distance=1,
                                            transposition_cost_one=False, prefix=False)
                     for kind, field, value in clauses]
            alternatives.append(_all(parts) if len(parts) > 1 else parts[0])
        query = _full_query(Query.const_score_query(_any(alternatives), 1.0), filters)
        res = view.aggregate(query, {"g": {"terms": {"field": "group", "size": limit}}})
        return sorted(b["key"] for b in res["g"]["buckets"])

    def group_stats(self, request: SearchRequest, groups: list[str],
                    total: bool = True) -> GroupStats:
        view = self._view()
        if view is None:
            return GroupStats(total=0, kinds={})
        query = _full_query(text_query(request.query, rank=False), request.filters)
        count = self._group_count(view, query) if total else 0
        kinds: dict[str, dict[str, int]] = {}
        if groups:
            only = Query.boolean_query([(Occur.Must, query),
                                        (Occur.Must, _one_of("group", groups))])
            aggs = {"g": {"terms": {"field": "group", "size": len(groups)},
                          "aggs": {"k": {"terms": {"field": "kind", "size": 10}}}}}
            for b in view.aggregate(only, aggs)["g"]["buckets"]:
                kinds[b["key"]] = {k["key"]: k["doc_count"] for k in b["k"]["buckets"]}
        return GroupStats(total=count, kinds=kinds)

    def forget_counts(self) -> None:
        self._counts = _CountCache(COUNT_CACHE_SIZE)

    def find_identifier(self, ident: str, today: int) -> list[str]:
        index = self._reader()
        if index is None or not ident:
            return []
        searcher = index.searcher()
        query = _full_query(Query.term_query(SCHEMA, "ids", ident, index_option="basic"),
                            Filters(today=today))
        return [searcher.doc(addr)["key"][0] for _s, addr in searcher.search(query, 5).hits]

    def _facets(self, view: _View, matching, filters: Filters,
                extra: dict | None = None) -> tuple[dict[str, dict[str, int]], dict]:
        """Facet counts, and the results of the ``extra`` aggregations (run in the pass
        that applies every filter)."""
        groups: dict[str, list[str]] = {"": []} if extra else {}
        for facet in FACETS:
            # A facet whose own filter is set is counted without it.
            group = facet if filters.selects(facet) else ""
            groups.setdefault(group, []).append(facet)
        # Regions: provinces, or the levels below the selected region.
        region_fields = REGION_LEVELS[1:] if filters.region else REGION_LEVELS[:1]
        out: dict[str, dict[str, int]] = {}
        extra_res: dict = {}
        for group, facets in groups.items():
            f = filters.without(group) if group else filters
            aggs: dict[str, dict] = dict(extra or {}) if not group else {}
            for name in facets:
                for field_name in region_fields if name == "region" else (name,):
                    aggs[field_name] = {"terms": {"field": field_name, "size": 1000}}
            res = view.aggregate(_full_query(matching, f), aggs)
            if not group:
                extra_res = {k: res[k] for k in extra or {}}
            for name in facets:
                counts = out.setdefault(name, {})
                for field_name in region_fields if name == "region" else (name,):
                    counts.update((b["key"], b["doc_count"]) for b in res[field_name]["buckets"])
        return out, extra_res

    def stamps(self) -> dict[str, str]:
        index = self._reader()
        if index is None:
            return {}
        searcher = index.searcher()
        n = searcher.num_docs
        out = {}
        if n:
            for _score, addr in searcher.search(Query.all_query(), n, count=False).hits:
                doc = searcher.doc(addr)
                out[doc["key"][0]] = doc["stamp"][0]
        return out

    # -- writing ---------------------------------------------------------------
    def _create(self, path: str) -> None:
        _open(path, create=True)

    def _write(self, path: str, upserts: list[dict], deletes: list[str]) -> None:
        with self._open_lock:
            index = self._index if self._gen == os.path.basename(path) else None
        if index is None:
            index = _open(path)
        writer = index.writer(WRITER_HEAP, 1)
        try:
            for key in deletes:
                writer.delete_documents_by_term("key", key)
            for doc in upserts:
                writer.delete_documents_by_term("key", doc["key"])
                writer.add_document(_document(doc))
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        finally:
            del writer
        index.reload()

    bulk_form = staticmethod(bulk_json)

    def _bulk_load(self, path: str, documents) -> int:
        index = _open(path, create=True)
        writer = index.writer(BULK_HEAP, 1)
        count = 0
        try:
            for doc in documents:
                writer.add_json(doc.decode())
                count += 1
            writer.commit()
            writer.wait_merging_threads()
        finally:
            del writer
        return count
