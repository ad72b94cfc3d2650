"""Search benchmark: rebuild rate, index size, engine and page latency, publish latency.

    .venv/bin/python bench/search.py --docs 10000 --engines tantivy,whoosh
    .venv/bin/python bench/search.py --docs 100000 --engines tantivy
    .venv/bin/python bench/search.py --docs 1000000 --engines tantivy   # when asked

Builds a throw-away SQLite database with the demo generator (about 7 documents
per agency; ``--tmp DIR`` reuses DIR/bench.db when it exists), then for each
engine: ``portal search rebuild`` (documents/s; for tantivy, ``--rebuilds`` times, each
followed by bare tantivy indexing the same documents, with the median ratio and its spread),
index size, p50/p95/p99 of the engine query (with facets, as the page asks),
of all the engine calls of one grouped search (one result per agency: the
hits window, the identity tier, similar names, group counts) and of the whole
search page through the Flask test client (render
included), over a fixed mixed query set, and the latency from one publish to
the record being searchable (ORM insert + commit, which indexes after commit,
+ the query that finds it).  Prints one table, engines side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DOCS_PER_AGENCY = 7.15


def pct(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def make_app(db_url, engine, index_dir, instance):
    from portal import create_app

    return create_app({"TESTING": False, "SECRET_KEY": "bench" * 10,
                       "SQLALCHEMY_DATABASE_URI": db_url,
                       "SEARCH_ENGINE": engine, "SEARCH_INDEX_DIR": index_dir,
                       "INSTANCE_PATH": instance, "RATELIMIT_ENABLED": False})


def build_database(db_url, docs, tmp):
    from portal.extensions import db
    from portal.register.demo import build_demo
    from portal.register.reference import load_bureaus, load_divisions

    app = make_app(db_url, "none", os.path.join(tmp, "none"), os.path.join(tmp, "inst"))
    with app.app_context():
        db.create_all()
        load_divisions()
        load_bureaus()
        db.session.commit()
        started = time.perf_counter()
        counts = build_demo(agencies=max(10, int(docs / DOCS_PER_AGENCY)))
        db.session.commit()
        print(f"demo data: {counts} in {time.perf_counter() - started:.1f} s", flush=True)
    return counts


def query_set(seed=7):
    """A fixed mixed query set drawn from the database: (label, query-string args)."""
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.register.models import Agency, AgencyFormerName, Penalty, SpotCheck

    rnd = random.Random(seed)
    agencies = db.session.execute(sa.select(Agency.name, Agency.uscc, Agency.licence_no)
                                  .order_by(Agency.id).limit(5000)).all()
    former = db.session.scalars(sa.select(AgencyFormerName.name).limit(2000)).all()
    penalties = db.session.execute(sa.select(Penalty.decision_number, Penalty.facts)
                                   .limit(2000)).all()
    remarks = db.session.scalars(sa.select(SpotCheck.remarks).where(SpotCheck.remarks.isnot(None))
                                 .limit(2000)).all()
    qs = []
    for _ in range(40):
        name, _uscc, _licence = rnd.choice(agencies)
        qs.append(("agency name", {"q": name}))
        qs.append(("name words", {"q": name[2:6]}))
    for name in rnd.sample(former, min(20, len(former))):
        qs.append(("former name", {"q": name}))
    for _ in range(15):
        _name, uscc, _licence = rnd.choice(agencies)
        qs.append(("identifier", {"q": uscc}))
    for number, _facts in rnd.sample(penalties, min(15, len(penalties))):
        qs.append(("identifier", {"q": number}))
    common = ["专利代理", "签名责任制", "非正常专利申请", "罚款", "经营异常名录", "未发现问题",
              "代理师未落实签名责任制", "无资质专利代理", "警告 罚款", "年度报告"]
    for c in common:
        qs.append(("common phrase", {"q": c}))
        qs.append(("common + filter", {"q": c, "region": "140100", "kind": "penalty"}))
        qs.append(("quoted phrase", {"q": f'"{c}"'}))
    texts = [t for _n, t in penalties] + list(remarks)
    for _ in range(30):
        t = rnd.choice(texts)
        i = rnd.randrange(0, max(1, len(t) - 8))
        qs.append(("rare phrase", {"q": t[i:i + 6]}))
    for grade in ("A", "C"):
        qs.append(("filter only", {"kind": "credit_grade", "grade": grade}))
    qs.append(("filter only", {"active": "1", "region": "140000"}))
    qs.append(("filter only", {"penalty_kind": "罚款", "sort": "date"}))
    return qs


def bench_engine(engine_name, db_url, tmp, repeat, rebuilds=1):
    from werkzeug.datastructures import MultiDict

    from portal.extensions import db
    from search import get_engine, get_segmenter, service
    from search.engines.base import SearchRequest

    index_dir = os.path.join(tmp, f"index-{engine_name}")
    app = make_app(db_url, engine_name, index_dir, os.path.join(tmp, "inst"))
    out = {}
    with app.app_context():
        # Rebuild and its reference alternate, ``rebuilds`` times: medians, and the spread
        # of the pairs' ratios (the machine's speed drifts between runs minutes apart).
        pairs, prepared = [], None
        for i in range(rebuilds):
            count, seconds = rebuild_in_own_process(engine_name, tmp)
            if i == 0:
                prepared = bare_bulk_documents(engine_name)
            pairs.append((seconds, bare_bulk_seconds(prepared, tmp) if prepared else None))
            if not prepared:  # no reference to pair with: one rebuild says it
                break
        seconds = statistics.median(s for s, _ in pairs)
        out["documents"] = f"{count:,}"
        out["rebuild docs/s"] = f"{count / seconds:,.0f}"
        out["rebuild s"] = f"{seconds:.1f}"
        out["index size MB"] = f"{get_engine().size_bytes() / 1e6:.1f}"
        if prepared:
            ratios = [b / s for s, b in pairs]
            out["bare tantivy bulk s (ref)"] = f"{statistics.median(b for _, b in pairs):.1f}"
            out["bare bulk / rebuild speed"] = f"{statistics.median(ratios):.2f}×"
            out["  each pair"] = "–".join(f"{r:.2f}" for r in sorted({min(ratios), max(ratios)}))
        queries = query_set()
        engine = get_engine()
        seg = get_segmenter()
        with app.test_request_context():
            # warm up
            for _label, args in queries[:20]:
                params = service.parse_params(MultiDict(args))
                engine.search(SearchRequest(query=service.ParsedQuery(params.q, seg),
                                            filters=service.filters_of(params)))
            times = []
            for _ in range(repeat):
                for _label, args in queries:
                    params = service.parse_params(MultiDict(args))
                    t = time.perf_counter()
                    req = SearchRequest(query=service.ParsedQuery(params.q, seg),
                                        filters=service.filters_of(params), sort=params.sort,
                                        limit=20)
                    engine.search(req)
                    times.append((time.perf_counter() - t) * 1000)
        out["engine p50 ms"] = f"{pct(times, 50):.2f}"
        out["engine p95 ms"] = f"{pct(times, 95):.2f}"
        out["engine p99 ms"] = f"{pct(times, 99):.2f}"
        grouped, again = grouped_engine_times(app, engine, queries, repeat)
        out["grouped engine p50 ms"] = f"{pct(grouped, 50):.2f}"
        out["grouped engine p95 ms"] = f"{pct(grouped, 95):.2f}"
        out["grouped engine p99 ms"] = f"{pct(grouped, 99):.2f}"
        out["grouped, asked again p95 ms"] = f"{pct(again, 95):.2f}"
        reference = reference_times(engine_name, engine, repeat)
        if reference:
            out["bare tantivy p95 ms (ref)"] = f"{pct(reference, 95):.2f}"
            out["grouped p95 / bare p95"] = f"{pct(grouped, 95) / pct(reference, 95):.1f}×"
        client = app.test_client()
        page_times = []
        for _ in range(repeat):
            for _label, args in queries:
                t = time.perf_counter()
                resp = client.get("/search/", query_string=args)
                page_times.append((time.perf_counter() - t) * 1000)
                assert resp.status_code in (200, 303), (args, resp.status_code)
        out["page p50 ms"] = f"{pct(page_times, 50):.1f}"
        out["page p95 ms"] = f"{pct(page_times, 95):.1f}"
        out["page p99 ms"] = f"{pct(page_times, 99):.1f}"
        # publish -> searchable
        import sqlalchemy as sa

        from portal.register.models import Agency, Penalty

        ag = db.session.scalar(sa.select(Agency).limit(1))
        lat = []
        run = time.time_ns() // 1000 % 10**9  # a reused database holds earlier runs' words
        for i in range(10):
            word = f"基准发布{engine_name}{run}x{i}号"
            t = time.perf_counter()
            number = f"基准〔{engine_name}〕{i}-{time.time_ns()}"
            penalty = Penalty(
                decision_number=number, agency=ag,
                party_name=ag.name, violation_type="其他", facts=f"{word}：基准测试。",
                legal_basis="基准", penalty_kinds="警告", decided_on=dt.date(2025, 1, 1),
                authority="基准", published_on=dt.date(2025, 1, 2), status="published")
            if hasattr(Penalty, "decision_key"):  # the register's natural key, when it has one
                from portal.register import cleaning

                penalty.decision_key = cleaning.decision_key(number)
            db.session.add(penalty)
            db.session.commit()
            params = service.parse_params(MultiDict({"q": f'"{word}"'}))
            res = engine.search(SearchRequest(query=service.ParsedQuery(params.q, seg),
                                              filters=service.filters_of(params)))
            lat.append((time.perf_counter() - t) * 1000)
            assert res.total == 1, (word, res.total)
        out["publish→searchable p50 ms"] = f"{statistics.median(lat):.1f}"
        out["publish→searchable max ms"] = f"{max(lat):.1f}"
        out["queries"] = str(len(queries) * repeat)
    return out


class _Timed:
    """Wraps the engine's query methods and sums the time spent in them."""

    METHODS = ("search", "groups_matching", "group_stats", "find_identifier")

    def __init__(self, engine):
        self.engine = engine
        self.spent = 0.0
        self.saved = {}

    def __enter__(self):
        for name in self.METHODS:
            original = getattr(self.engine, name)
            self.saved[name] = original

            def timed(*a, _original=original, **kw):
                t = time.perf_counter()
                try:
                    return _original(*a, **kw)
                finally:
                    self.spent += time.perf_counter() - t

            setattr(self.engine, name, timed)
        return self

    def __exit__(self, *exc):
        for name in self.METHODS:
            delattr(self.engine, name)


def grouped_engine_times(app, engine, queries, repeat):
    """Engine time of the grouped page (every engine call one search makes: the hits window,
    the identity tier, similar names when few, group counts), per query, in ms: the first
    time a query is asked (remembered counts forgotten first) and asked again at once
    (counts remembered for the index commit, as when many people search 专利代理)."""
    from werkzeug.datastructures import MultiDict

    from search import service

    first, again = [], []
    with app.test_request_context(), _Timed(engine) as timer:
        for _label, args in queries[:20]:  # warm up
            service.run_search(service.parse_params(MultiDict(args)))
        for _ in range(repeat):
            for _label, args in queries:
                engine.forget_counts()
                for out in (first, again):
                    timer.spent = 0.0
                    service.run_search(service.parse_params(MultiDict(args)))
                    out.append(timer.spent * 1000)
    return first, again


def rebuild_in_own_process(engine_name, tmp):
    """(documents, seconds) of a rebuild run as ``portal search rebuild`` runs: in a process
    of its own.  A rebuild's workers fork from the process that starts them, and one that
    did other work first (analysed every document for the reference, say) hands them a
    bigger heap to collect and copy: ~1 s slower at 100k."""
    import subprocess

    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--rebuild-once",
                          "--engines", engine_name, "--tmp", tmp],
                         check=True, stdout=subprocess.PIPE, text=True).stdout  # errors shown
    count, seconds = out.split()[-2:]
    return int(count), float(seconds)


def bare_bulk_documents(engine_name, limit=300_000):
    """What the reference of a rebuild indexes: the same documents, read, analysed and
    made into tantivy documents beforehand.  None for another engine or above ``limit``
    documents (memory)."""
    if engine_name != "tantivy":
        return None
    from sqlalchemy.orm import Session

    from portal.extensions import db
    from search import get_segmenter
    from search.cli import _row_count, analysed_documents
    from search.engines import tantivy_engine as te

    with Session(db.engine) as session:
        if _row_count(session) > limit:
            return None
        return list(analysed_documents(session, get_segmenter(), form=te._document))


def bare_bulk_seconds(prepared, tmp):
    """The reference of a rebuild: bare tantivy indexing the ``prepared`` documents (so:
    writer.add_document + commit + merges only), in one thread like the rebuild."""
    import shutil

    from search.engines import tantivy_engine as te

    path = os.path.join(tmp, "bare-bulk")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    t = time.perf_counter()
    index = te._open(path, create=True)
    writer = index.writer(te.BULK_HEAP, 1)
    for doc in prepared:
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - t
    del writer
    shutil.rmtree(path, ignore_errors=True)
    return seconds


def reference_times(engine_name, engine, repeat):
    """The reference measured in the same run: bare tantivy on the same index, one term
    query (top 20 and the count) plus one terms aggregation, for common words."""
    if engine_name != "tantivy":
        return []
    from search.engines.tantivy_engine import _term

    searcher = engine._reader().searcher()
    words = ["专利", "代理", "罚款", "问题", "年度", "签名", "抽查", "警告", "有限公司", "名录"]
    out = []
    for _ in range(repeat * 20):
        for w in words:
            t = time.perf_counter()
            q = _term("body", w)
            searcher.search(q, 20, count=True)
            searcher.aggregate(q, {"k": {"terms": {"field": "kind", "size": 10}}})
            out.append((time.perf_counter() - t) * 1000)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--engines", default="tantivy,whoosh")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--rebuilds", type=int, default=3,
                    help="rebuilds, each followed by its bare tantivy reference (medians printed)")
    ap.add_argument("--tmp", default=None, help="work directory (default: a new temp dir)")
    ap.add_argument("--rebuild-once", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    tmp = args.tmp or tempfile.mkdtemp(prefix="search-bench-")
    db_url = "sqlite:///" + os.path.join(tmp, "bench.db")
    if args.rebuild_once:  # one rebuild in this process (see rebuild_in_own_process)
        from search.cli import rebuild

        app = make_app(db_url, args.engines, os.path.join(tmp, f"index-{args.engines}"),
                       os.path.join(tmp, "inst"))
        with app.app_context():
            count, seconds = rebuild()
        print(count, seconds)
        return
    print(f"work dir {tmp}", flush=True)
    if args.tmp and os.path.exists(os.path.join(tmp, "bench.db")):
        print("reusing the database in the work directory", flush=True)
        from portal.extensions import db

        app = make_app(db_url, "none", os.path.join(tmp, "none"), os.path.join(tmp, "inst"))
        with app.app_context():
            db.create_all()  # tables added since it was built (e.g. the search change log)
    else:
        build_database(db_url, args.docs, tmp)
    results = {}
    for name in args.engines.split(","):
        print(f"benchmarking {name} …", flush=True)
        results[name] = bench_engine(name, db_url, tmp, args.repeat, args.rebuilds)
    rows = list(dict.fromkeys(r for result in results.values() for r in result))
    names = list(results)
    w = max(len(r) for r in rows)
    print()
    print(f"| {'N≈' + str(args.docs):<{w}} | " + " | ".join(f"{n:>10}" for n in names) + " |")
    print(f"|{'-' * (w + 2)}|" + "|".join("-" * 12 for _ in names) + "|")
    for r in rows:
        print(f"| {r:<{w}} | " + " | ".join(f"{results[n].get(r, '—'):>10}" for n in names) + " |")


if __name__ == "__main__":
    main()
