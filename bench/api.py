"""Benchmark the open-data API: agency detail and list pages (p50/p95 ms), and the JSON
Lines dump (records/s).  Run against an instance with data, e.g.

    PORTAL_INSTANCE_PATH=/tmp/big .venv/bin/portal demo --agencies 100000
    PORTAL_INSTANCE_PATH=/tmp/big .venv/bin/python bench/api.py --runs 50
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

# The project root first: bench/search.py must not shadow the ``search`` package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask import Flask, jsonify  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.register.models import Agency  # noqa: E402


def timed(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    response.get_data()
    return (time.perf_counter() - started) * 1000


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{name:28s} p50 {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    app = create_app({"RATELIMIT_ENABLED": False, "SEARCH_ENGINE": "none",
                      "SECRET_KEY": "bench-" + "x" * 40})
    client = app.test_client()
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Agency))
        usccs = list(db.session.scalars(select(Agency.uscc).order_by(func.random())
                                        .limit(args.runs)))
    print(f"agencies: {total}")
    client.get("/api/v1/agencies")  # warm up
    report("agency detail", [timed(client, f"/api/v1/agencies/{u}") for u in usccs])
    report("agency list (50)", [timed(client, "/api/v1/agencies") for _ in range(args.runs)])
    regions = ["140100", "140105", "140200", "310000"]
    report("agency list, region filter",
           [timed(client, f"/api/v1/agencies?region={random.choice(regions)}")
            for _ in range(args.runs)])
    report("penalty list (50)", [timed(client, "/api/v1/penalties") for _ in range(args.runs)])
    reference = bare_flask().test_client()
    report("bare Flask reference", [timed(reference, "/ref") for _ in range(args.runs)])
    dump(client)


def bare_flask() -> Flask:
    """A Flask app with one JSON route and nothing else: the floor under every figure."""
    bare = Flask("bare")

    @bare.get("/ref")
    def ref():
        return jsonify({"items": [{"n": n} for n in range(50)]})

    return bare


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def dump(client) -> None:
    """The whole-register dump, streamed; resident memory sampled as it goes (flat =
    the same after 10% of the records as at the end)."""
    started = time.perf_counter()
    response = client.get("/api/v1/dump.jsonl", buffered=False)
    lines, samples = 0, []
    for n, chunk in enumerate(response.response):
        lines += chunk.count(b"\n")
        if n % 50 == 0:
            samples.append((lines, rss_mb()))
    response.close()
    seconds = time.perf_counter() - started
    print(f"JSON Lines dump: {lines} records in {seconds:.1f} s = {lines / seconds:,.0f} records/s")
    marks = [samples[len(samples) // 10], samples[len(samples) // 2], samples[-1]]
    print("  resident memory: " + ", ".join(f"{mb:.0f} MB after {n:,} records"
                                             for n, mb in marks))


if __name__ == "__main__":
    main()
