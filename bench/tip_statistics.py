"""Benchmark the public statistics (issue 17): ``portal.statistics.queries.compute`` (the
whole page's figures, uncached) and the page itself, at 100,000 tips, with a bare
``SELECT COUNT(*) FROM tip`` and a one-column GROUP BY measured in the same run as the
reference.  Run it against a demo instance (it adds synthetic copies of the demo tips,
marked as demo data, until the instance holds --tips tips):

    export PORTAL_INSTANCE_PATH=/tmp/bench_stats
    .venv/bin/portal db upgrade && .venv/bin/portal demo
    .venv/bin/python bench/tip_statistics.py --tips 100000 --runs 20
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time

# The project root first: bench/search.py must not shadow the ``search`` package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select  # noqa: E402

from intake import calendar, durations  # noqa: E402
from intake.models import Tip  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.statistics import queries  # noqa: E402

# Sealed columns (intake.crypto) are not copied: the copies get a constant text instead.
SEALED = [c.name for c in Tip.__table__.columns
          if type(c.type).__module__.startswith("intake.")]
COPIED = [c.name for c in Tip.__table__.columns if c.name != "id" and c.name not in SEALED]
SHIFTED = ("created_at", "queue_entered_at", "accepted_at", "concluded_at", "consent_at")
DATES = ("accept_due", "verify_due")
# What a tip keeps for the statistics (intake.durations), recomputed for each copy.
DAYS = {"received_on": "created_at", "accepted_on": "accepted_at", "concluded_on": "concluded_at"}


def grow(target: int, seed: int = 17) -> int:
    """Add copies of existing tips (new reference and hash, moved by up to a year, with
    their China-time days and working-day durations recomputed as the workflow would)
    until there are ``target`` tips; returns how many there are."""
    rng = random.Random(seed)
    count = db.session.scalar(select(func.count()).select_from(Tip))
    if count >= target:
        return count
    table = Tip.__table__
    source = [dict(r._mapping) for r in db.session.execute(select(*[table.c[c] for c in COPIED]))]
    if not source:
        raise SystemExit("no tips to copy: run `portal demo` first")
    days = [r[c] for r in source for c in DAYS.values() if r[c] is not None]
    working = calendar.WorkingDayCount(min(days).date() - dt.timedelta(days=367),
                                       max(days).date() + dt.timedelta(days=2))
    batch, n = [], count
    while n < target:
        row = dict(rng.choice(source))
        delta = dt.timedelta(days=rng.randint(-365, 0), minutes=rng.randint(0, 1440))
        for column in SHIFTED:
            if row.get(column) is not None:
                row[column] = row[column] + delta
        for column in DATES:
            if row.get(column) is not None:
                row[column] = row[column] + dt.timedelta(days=delta.days)
        n += 1
        for day, moment in DAYS.items():
            row[day] = durations.china_date(row[moment]) if row[moment] else None
        row["accept_working_days"], row["conclude_working_days"] = (
            working.between(row["received_on"], row[end]) if row[end] else None
            for end in ("accepted_on", "concluded_on"))
        row.update(dict.fromkeys(SEALED))
        row["description"] = "基准测试用的合成举报。"
        row.update(reference=f"BN-{n:012d}", tracking_hash=f"bench{n:059d}", is_demo=True,
                   duplicate_of_id=None, likely_duplicate_of_id=None)
        batch.append(row)
        if len(batch) == 5000:
            db.session.execute(insert(table), batch)
            batch = []
    if batch:
        db.session.execute(insert(table), batch)
    db.session.commit()
    return n


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def report(name: str, times: list[float]) -> None:
    # (no ``statistics`` module here: this file's own name would shadow it)
    p50, p95 = times[len(times) // 2], times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{name:44s} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tips", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    app = create_app({"RATELIMIT_ENABLED": False, "SEARCH_ENGINE": "none",
                      "SECRET_KEY": "bench-" + "x" * 40})
    with app.app_context():
        total = grow(args.tips)
        print(f"tips: {total}  ({db.engine.dialect.name})")
    client = app.test_client()
    with app.test_request_context():
        f = queries.parse_filters({})
        two_years = queries.parse_filters({"from": f"{f.end.year - 2}-{f.end.month:02d}"})
        drilled = queries.Filters(f.start, f.end, "140100")
        queries.compute(f)  # warm up (connections, division names)
        report("reference: SELECT COUNT(*) FROM tip", timed(
            lambda: db.session.scalar(select(func.count()).select_from(Tip)), args.runs))
        report("reference: GROUP BY category (all tips)", timed(
            lambda: db.session.execute(select(Tip.category, func.count())
                                       .group_by(Tip.category)).all(), args.runs))
        report("compute(): last 12 months", timed(lambda: queries.compute(f), args.runs))
        report("compute(): 25 months", timed(lambda: queries.compute(two_years), args.runs))
        report("compute(): 12 months, drilled into 140100",
               timed(lambda: queries.compute(drilled), args.runs))
    client.get("/statistics/")
    report("GET /statistics/ (cached figures)",
           timed(lambda: client.get("/statistics/").get_data(), args.runs))
    report("GET /statistics/categories.csv (cached)",
           timed(lambda: client.get("/statistics/categories.csv").get_data(), args.runs))


if __name__ == "__main__":
    main()
