"""Public register pages benchmark: p50/p95 per page and CSV download rate.

    export PORTAL_INSTANCE_PATH=/tmp/pages-inst      # or PORTAL_DATABASE_URL=...
    .venv/bin/portal db upgrade && .venv/bin/portal demo --agencies 100000
    .venv/bin/python bench/pages.py --runs 20
    .venv/bin/python bench/pages.py --runs 5 --no-csv
    .venv/bin/python bench/pages.py --only csv

Runs against an EXISTING instance database and does not write to it, except with
``--create-missing-indexes``: that creates the indexes the models declare but the
database lacks (a scratch DB built before an index was added; real databases get
them from the Alembic migration).  Picks a
fixed set of public pages from the data (agencies with the most records, a
public penalty, real region codes), requests each page through the Flask test
client ``--runs`` times after one warm-up request, and prints p50 / p95 / max
per page in milliseconds, then streams each open-data CSV once and prints rows,
seconds and rows/s.  Every response must be 200 (the script stops otherwise).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGETS_MS = {"home": 100, "directory": 100, "profile": 50, "detail": 50}


def pct(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def make_app():
    from portal import create_app

    return create_app({"TESTING": False, "RATELIMIT_ENABLED": False, "SEARCH_ENGINE": "none"},
                      from_cli=True)  # a dev-style start: the default key is fine here


def page_set():
    """[(group, label, url)] drawn deterministically from the database."""
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.register.kinds import KINDS
    from portal.register.models import Agency, Penalty

    RECORD_MODELS = {kind.key: kind.model for kind in KINDS}

    def busiest(n):
        counts = {}
        for model in RECORD_MODELS.values():
            rows = db.session.execute(
                sa.select(model.agency_id, sa.func.count()).where(model.agency_id.is_not(None))
                .group_by(model.agency_id).order_by(sa.func.count().desc(), model.agency_id)
                .limit(200))
            for agency_id, c in rows:
                counts[agency_id] = counts.get(agency_id, 0) + c
        ids = sorted(counts, key=lambda i: (-counts[i], i))[:n]
        return [(db.session.get(Agency, i).uscc, counts[i]) for i in ids]

    agency_total = db.session.scalar(sa.select(sa.func.count()).select_from(Agency))
    deep = max(1, agency_total // 20 // 2)
    pages = [
        ("home", "home", "/"),
        ("directory", "directory", "/agencies/"),
        ("directory", "directory region=province 山西", "/agencies/?region=140000"),
        ("directory", "directory region=city 太原", "/agencies/?region=140100"),
        ("directory", "directory region=district 小店区", "/agencies/?region=140105"),
        ("directory", "directory kind=patent", "/agencies/?kind=patent"),
        ("directory", "directory status=revoked", "/agencies/?status=revoked"),
        ("directory", "directory grade=A", "/agencies/?grade=A"),
        ("directory", "directory grade=D", "/agencies/?grade=D"),
        ("directory", "directory grade=none", "/agencies/?grade=none"),
        ("directory", "directory region+kind+grade", "/agencies/?region=310000&kind=both&grade=B"),
        ("directory", f"directory page={deep}", f"/agencies/?page={deep}"),
        ("directory", "directory htmx fragment", "/agencies/?region=140100&grade=A"),
    ]
    for uscc, n in busiest(3):
        pages.append(("profile", f"profile ({n} records)", f"/agencies/{uscc}"))
    lists = {"penalty": "/penalties/", "spot_check": "/spot-checks/",
             "credit_grade": "/credit-grades/", "list_entry": "/list-entries/"}
    extra = {"penalty": "violation_type=代理非正常专利申请&region=140000",
             "spot_check": "result=未发现问题&region=310000",
             "credit_grade": "grade=C&period=2024",
             "list_entry": "list_kind=abnormal&active=1&region=140100"}
    for kind, url in lists.items():
        pages.append(("list", f"{kind} list", url))
        pages.append(("list", f"{kind} list filtered", f"{url}?{extra[kind]}"))
        pages.append(("list", f"{kind} list date range",
                      f"{url}?date_from=2023-01-01&date_to=2023-12-31&page=3"))
    for kind, model in RECORD_MODELS.items():
        rec = db.session.scalar(sa.select(model).where(model.public_filter())
                                .order_by(model.id.desc()).limit(1))
        if rec is None:
            continue
        if model is Penalty:
            pages.append(("detail", "penalty detail", f"/penalties/{rec.decision_number}"))
        else:
            pages.append(("detail", f"{kind} detail", f"{lists[kind]}{rec.id}"))
    pages += [("other", "bureaus", "/bureaus/"), ("other", "open data", "/data/")]
    return pages


def bench_pages(app, runs):
    from portal.extensions import db

    with app.app_context():
        pages = page_set()
        db.session.remove()
    client = app.test_client()
    rows = []
    for group, label, url in pages:
        headers = {"HX-Request": "true"} if "htmx" in label else {}
        times = []
        for i in range(runs + 1):
            t0 = time.perf_counter()
            resp = client.get(url, headers=headers)
            body = resp.get_data()
            elapsed = (time.perf_counter() - t0) * 1000
            if resp.status_code != 200:
                sys.exit(f"{url}: HTTP {resp.status_code}")
            if i:  # the first request warms caches (templates, SQLite pages) and is not counted
                times.append(elapsed)
        rows.append((group, label, url, statistics.median(times), pct(times, 95), max(times),
                     len(body)))
        print(f"  {label:<34} p50 {rows[-1][3]:8.1f}  p95 {rows[-1][4]:8.1f}", file=sys.stderr,
              flush=True)
    return rows


def bench_csv(app, kinds, counts):
    from portal.register.kinds import DATASETS

    KIND_TO_DOWNLOAD = {dataset.key: dataset.download for dataset in DATASETS}

    client = app.test_client()
    rows = []
    for kind, name in KIND_TO_DOWNLOAD.items():
        if kinds and name not in kinds:
            continue
        t0 = time.perf_counter()
        resp = client.get(f"/data/{name}.csv", buffered=False)
        if resp.status_code != 200:
            sys.exit(f"/data/{name}.csv: HTTP {resp.status_code}")
        size = 0
        for chunk in resp.response:
            size += len(chunk)
        resp.close()
        elapsed = time.perf_counter() - t0
        # Rows = the public count shown on /data/ (cells may hold newlines, so lines would lie).
        rows.append((name, counts["agencies" if kind == "agency" else kind], size, elapsed))
        print(f"  {name}.csv {elapsed:.2f} s", file=sys.stderr, flush=True)
    return rows


def create_missing_indexes(app):
    import sqlalchemy as sa

    from portal.extensions import db

    with app.app_context():
        inspector = sa.inspect(db.engine)
        for table in db.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            have = {i["name"] for i in inspector.get_indexes(table.name)}
            for index in sorted(table.indexes, key=lambda i: i.name):
                if index.name not in have:
                    t0 = time.perf_counter()
                    index.create(db.engine)
                    print(f"created index {index.name} in {time.perf_counter() - t0:.1f} s")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="timed requests per page (default 20)")
    ap.add_argument("--only", choices=("pages", "csv"), help="run only one part")
    ap.add_argument("--no-csv", action="store_true", help="same as --only pages")
    ap.add_argument("--csv", default="", help="comma-separated downloads (default all)")
    ap.add_argument("--create-missing-indexes", action="store_true",
                    help="first CREATE the model indexes missing from the database")
    args = ap.parse_args(argv)

    app = make_app()
    if args.create_missing_indexes:
        create_missing_indexes(app)
    from portal.register.queries import home_counts

    with app.app_context():
        print(f"database: {app.config['SQLALCHEMY_DATABASE_URI']}")
        counts = home_counts()
        print("public counts: " + ", ".join(f"{k}={v}" for k, v in counts.items()))

    if args.only != "csv":
        rows = bench_pages(app, args.runs)
        print(f"\n{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KiB':>6}  target")
        for group, label, _url, p50, p95, mx, size in rows:
            target = TARGETS_MS.get(group)
            mark = "" if target is None else (f"<= {target} ok" if p95 <= target
                                              else f"<= {target} SLOW")
            print(f"{label:<34} {p50:8.1f} {p95:8.1f} {mx:8.1f} {size / 1024:6.0f}  {mark}")
    if args.only != "pages" and not args.no_csv:
        kinds = {k for k in args.csv.split(",") if k}
        rows = bench_csv(app, kinds, counts)
        print(f"\n{'download':<22} {'rows':>9} {'MiB':>7} {'s':>7} {'rows/s':>9}  target")
        for name, n, size, elapsed in rows:
            rate = n / elapsed if elapsed else 0
            mark = "ok" if rate >= 50000 else "SLOW"
            print(f"{name + '.csv':<22} {n:9d} {size / 2**20:7.1f} {elapsed:7.2f} {rate:9.0f}  "
                  f">= 50000 {mark}")


if __name__ == "__main__":
    main()
