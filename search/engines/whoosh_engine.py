"""Whoosh engine: pure Python, for installs without compiled wheels.

Uses **whoosh-reloaded** (the maintained fork of Whoosh 2.7.4, same import
name ``whoosh``): the original package is unmaintained since 2016 and emits
SyntaxWarnings/DeprecationWarnings on current Python, which our test suite
turns into errors; the fork fixes those and keeps the API.

jieba's ``ChineseAnalyzer`` records character offsets where Whoosh expects
word positions, so phrase queries found nothing.  We do not use it: text
arrives pre-segmented (jieba with the domain words, search mode) and
space-joined, and a whitespace tokenizer gives every token its real position;
phrases run over the bigram fields (see ``search.text``).

Readers never fail during a commit: every query opens a fresh searcher, and a
query that races a commit (a segment file replaced under it) is retried on the
new generation of files.
"""

from __future__ import annotations

import os
import threading
import time

from whoosh import fields, index, query, sorting
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.reading import ReaderClosed

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

SEP = "\x1f"  # separates the values of a multi-valued keyword field

WS = RegexTokenizer(r"[^ \t\r\n]+") | LowercaseFilter()
MULTI = RegexTokenizer(r"[^\x1f]+")


def _schema() -> fields.Schema:
    return fields.Schema(
        key=fields.ID(stored=True, unique=True),
        stamp=fields.STORED(),
        kind=fields.ID(),
        group=fields.ID(stored=True, sortable=True),
        name=fields.TEXT(analyzer=WS, phrase=False, field_boost=1.0),
        former=fields.TEXT(analyzer=WS, phrase=False),
        body=fields.TEXT(analyzer=WS, phrase=False),
        name_bg=fields.TEXT(analyzer=WS, phrase=True),
        body_bg=fields.TEXT(analyzer=WS, phrase=True),
        name_py=fields.TEXT(analyzer=WS, phrase=False),
        name_key=fields.TEXT(analyzer=MULTI, phrase=False),
        name_sub=fields.TEXT(analyzer=MULTI, phrase=False),
        ids=fields.TEXT(analyzer=MULTI, phrase=False),
        region=fields.TEXT(analyzer=MULTI, phrase=False),
        grade=fields.ID(),
        penalty_kinds=fields.TEXT(analyzer=MULTI, phrase=False),
        active=fields.ID(),
        date=fields.NUMERIC(numtype=int, bits=64, sortable=True),
        pub_from=fields.NUMERIC(numtype=int, bits=64),
        pub_to=fields.NUMERIC(numtype=int, bits=64),
    )


SCHEMA = _schema()


def _fields(doc: dict) -> dict:
    out = {}
    for name in ("key", "stamp", "kind", "group", "name", "former", "body", "name_bg", "body_bg",
                 "name_py", "grade", "active"):
        if doc[name]:
            out[name] = doc[name]
    for name in ("name_key", "name_sub", "ids", "region", "penalty_kinds"):
        if doc[name]:
            out[name] = SEP.join(doc[name])
    for name in ("date", "pub_from", "pub_to"):
        out[name] = int(doc[name])
    return out


def _term(field, value, boost=1.0):
    return query.Term(field, value, boost=boost)


def _const(field, value, score):
    return query.ConstantScoreQuery(query.Term(field, value), score=score)


def _phrase(field, tokens, boost=1.0):
    if len(tokens) == 1:
        return _term(field, tokens[0], boost)
    return query.Phrase(field, tokens, boost=boost)


def _filter(f: Filters):
    clauses = [
        query.NumericRange("pub_from", None, f.today),
        query.NumericRange("pub_to", f.today, None),
    ]
    if f.kinds:
        clauses.append(query.Or([query.Term("kind", k) for k in f.kinds]))
    if f.region:
        clauses.append(query.Term("region", f.region))
    if f.date_from or f.date_to:
        clauses.append(query.NumericRange("date", f.date_from, f.date_to))
    if f.grades:
        clauses.append(query.Or([query.Term("grade", g) for g in f.grades]))
    if f.penalty_kinds:
        clauses.append(query.Or([query.Term("penalty_kinds", p) for p in f.penalty_kinds]))
    if f.active:
        clauses.append(query.Term("active", "1"))
    if f.group:
        clauses.append(query.Term("group", f.group))
    return query.And(clauses)


def text_query(q, names_only: bool = False):
    if q.empty:
        return None
    must: list = []
    for words, chunk in q.groups:
        each = []
        for word, bgs in words:
            options = [(_term if kind == "term" else _phrase)(field, value, boost)
                       for kind, field, value, boost in word_clauses(word, bgs, names_only)]
            each.append(query.Or(options))
        alternatives = [query.And(each)] if len(each) > 1 else each
        alternatives += _synonym_clauses(q.synonym_alternatives[len(must)], names_only)
        if chunk and len(words) > 1:
            alternatives.append(_phrase("name_bg", chunk, 3.0))
            if not names_only:
                alternatives.append(_phrase("body_bg", chunk, 1.0))
        must.append(query.Or(alternatives) if len(alternatives) > 1 else alternatives[0])
    for tokens in q.phrase_tokens:
        options = [_phrase("name_bg", tokens, 5.0)]
        if not names_only:
            options.append(_phrase("body_bg", tokens, 1.5))
        must.append(query.Or(options))
    # Identifiers get a constant bonus.  (An agency's exact name is not a bonus:
    # the service ranks it first as a tier of its own.)
    should = []
    if q.identifier:
        should.append(_const("ids", q.identifier, 100.0))
    if q.whole_bigrams:
        should.append(_phrase("name_bg", q.whole_bigrams, 6.0))
        if not names_only:
            should.append(_phrase("body_bg", q.whole_bigrams, 2.0))
    if not should:
        return query.And(must)
    return query.AndMaybe(query.And(must), query.Or(should))


def _word_clause(word, bgs, names_only):
    return query.Or([(_term if kind == "term" else _phrase)(field, value, boost)
                     for kind, field, value, boost in word_clauses(word, bgs, names_only)])


def _synonym_clauses(alternatives, names_only: bool) -> list:
    """A chunk holding a synonym term also matches what the term means (and its other words)."""
    out = []
    for phrases, rest in alternatives:
        meant = []
        for tokens in phrases:
            meant.append(_phrase("name_bg", tokens, 3.0))
            if not names_only:
                meant.append(_phrase("body_bg", tokens, 1.0))
        required = [query.Or(meant)] + [_word_clause(w, b, names_only) for w, b in rest]
        out.append(query.And(required) if len(required) > 1 else required[0])
    return out


def _name_clause(kind, field, value):
    if kind == "term":
        return query.Term(field, value)
    return query.FuzzyTerm(field, value, maxdist=1, prefixlength=0)


class WhooshEngine(Engine):
    name = "whoosh"
    segmenter_flavour = "jieba"
    RETRIES = 5

    def __init__(self, index_dir: str):
        super().__init__(index_dir)
        self._lock = threading.Lock()
        self._gen: str | None = None
        self._ix = None

    def _index(self):
        name = self.current_generation()
        if name is None or not os.path.isdir(self.gen_path(name)):
            return None
        with self._lock:
            if name != self._gen:
                self._ix = index.open_dir(self.gen_path(name), schema=SCHEMA)
                self._gen = name
            return self._ix

    def _with_searcher(self, fn):
        """Run ``fn(searcher)`` on a fresh searcher, retrying if a commit races it."""
        for attempt in range(self.RETRIES):
            ix = self._index()
            if ix is None:
                return None
            try:
                with ix.searcher() as searcher:
                    return fn(searcher)
            # files replaced under us by a concurrent commit or rebuild
            except (ReaderClosed, OSError, ValueError, EOFError, KeyError) as exc:
                if attempt == self.RETRIES - 1:
                    raise
                last = exc
                time.sleep(0.01 * (attempt + 1))
                with self._lock:
                    self._gen = None  # reopen: the generation may have been swapped
        raise last  # pragma: no cover

    def search(self, request: SearchRequest) -> SearchResult:
        scored = text_query(request.query, names_only=request.names_only)

        def run(searcher):
            q = scored if scored is not None else query.Every()
            sort = request.sort if scored is not None else "date"
            kwargs = {"sortedby": "date", "reverse": True} if sort == "date" else {}
            upto = request.offset + request.limit
            results = searcher.search(q, filter=_filter(request.filters), limit=max(upto, 1),
                                      **kwargs)
            page = results[request.offset:upto]
            keys = [hit["key"] for hit in page]
            groups = [hit["group"] for hit in page]
            total = len(results)
            facets = self._facets(searcher, q, request.filters) if request.facets else {}
            return SearchResult(keys=keys, total=total, facets=facets, groups=groups)

        return self._with_searcher(run) or SearchResult(keys=[], total=0, facets={})

    def _facets(self, searcher, q, filters: Filters) -> dict[str, dict[str, int]]:
        groups: dict[str, list[str]] = {}
        for facet in FACETS:
            group = facet if filters.selects(facet) else ""
            groups.setdefault(group, []).append(facet)
        out: dict[str, dict[str, int]] = {}
        for group, names in groups.items():
            f = filters.without(group) if group else filters
            facet_map = {n: sorting.FieldFacet(n, allow_overlap=True) for n in names}
            res = searcher.search(q, filter=_filter(f), limit=1, groupedby=facet_map,
                                  maptype=sorting.Count)
            for n in names:
                out[n] = {k: v for k, v in res.groups(n).items() if k not in (None, "")}
        return out

    def groups_matching(self, plan: NamePlan, filters: Filters, limit: int = 50) -> list[str]:
        if not plan:
            return []
        alternatives = []
        for clauses in plan:
            parts = [_name_clause(*c) for c in clauses]
            alternatives.append(query.And(parts) if len(parts) > 1 else parts[0])
        q = query.Or(alternatives)

        def run(searcher):
            res = searcher.search(q, filter=_filter(filters), limit=1,
                                  groupedby={"g": sorting.FieldFacet("group")},
                                  maptype=sorting.Count)
            counts = res.groups("g")
            top = sorted(counts, key=lambda g: (-counts[g], g))[:limit]
            return sorted(top)

        return self._with_searcher(run) or []

    def group_stats(self, request: SearchRequest, groups: list[str],
                    total: bool = True) -> GroupStats:
        scored = text_query(request.query)
        q = scored if scored is not None else query.Every()

        def run(searcher):
            count = 0
            if total:
                res = searcher.search(q, filter=_filter(request.filters), limit=1,
                                      groupedby={"g": sorting.FieldFacet("group")},
                                      maptype=sorting.Count)
                count = len(res.groups("g"))
            kinds: dict[str, dict[str, int]] = {}
            if groups:
                only = query.And([_filter(request.filters),
                                  query.Or([query.Term("group", g) for g in groups])])
                facet = sorting.MultiFacet(["group", "kind"])
                res = searcher.search(q, filter=only, limit=1, groupedby={"gk": facet},
                                      maptype=sorting.Count)
                for (group, kind), n in res.groups("gk").items():
                    kinds.setdefault(group, {})[kind] = n
            return GroupStats(total=count, kinds=kinds)

        return self._with_searcher(run) or GroupStats(total=0, kinds={})

    def find_identifier(self, ident: str, today: int) -> list[str]:
        if not ident:
            return []

        def run(searcher):
            res = searcher.search(query.Term("ids", ident), filter=_filter(Filters(today=today)),
                                  limit=5)
            return [hit["key"] for hit in res]

        return self._with_searcher(run) or []

    def stamps(self) -> dict[str, str]:
        def run(searcher):
            return {f["key"]: f["stamp"] for f in searcher.reader().all_stored_fields()}

        return self._with_searcher(run) or {}

    # -- writing ---------------------------------------------------------------
    def _create(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)
        index.create_in(path, SCHEMA)

    def _write(self, path: str, upserts: list[dict], deletes: list[str]) -> None:
        ix = index.open_dir(path, schema=SCHEMA)
        writer = ix.writer(timeout=30)
        try:
            for key in deletes:
                writer.delete_by_term("key", key)
            for doc in upserts:
                writer.update_document(**_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def _bulk_load(self, path: str, documents) -> int:
        os.makedirs(path, exist_ok=True)
        ix = index.create_in(path, SCHEMA)
        writer = ix.writer(limitmb=256)
        count = 0
        try:
            for doc in documents:
                writer.add_document(**_fields(doc))
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return count
