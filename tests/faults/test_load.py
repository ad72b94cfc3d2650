"""The public pages under concurrent load, on PostgreSQL, with the deploy configuration
(deploy/gunicorn.conf.py): the worker class it uses (sync) and threaded workers
(gthread), which once crashed in psycopg's C code under load (issue 19: the libpq of
psycopg's binary wheel negotiating GSSAPI encryption from several threads; the portal now
connects with ``gssencmode=disable``).  Every request answers 200, no connection is
dropped, no worker dies or is restarted, nothing is logged as an error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from .conftest import ROOT, Gunicorn, portal_env

pytestmark = [pytest.mark.faults, pytest.mark.slow]

CLIENTS = 16
ROUNDS = 3  # each client asks every page this many times
CRASH = re.compile(r"SIGSEGV|SIGABRT|Segmentation|WORKER TIMEOUT|Worker \(pid:\d+\) was sent|"
                   r"Traceback|exited with code", re.IGNORECASE)


def _demo(db_url: str, instance: str) -> None:
    env = portal_env(db_url, instance)
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "portal"), "demo",
                    "--agencies", "300"], cwd=ROOT, env=env, check=True, timeout=300,
                   capture_output=True)


def _pages(db_url: str) -> list[str]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            usccs = conn.execute(sa.text(
                "SELECT uscc FROM agency ORDER BY id LIMIT 20")).scalars().all()
            decision = conn.execute(sa.text(
                "SELECT decision_key FROM penalty WHERE status = 'published' "
                "AND published_on <= current_date AND (publication_ends_on IS NULL "
                "OR publication_ends_on >= current_date + 1) ORDER BY id LIMIT 1")).scalar_one()
    finally:
        engine.dispose()
    pages = ["/", "/agencies/", "/agencies/?grade=A", "/penalties/", "/spot-checks/",
             "/credit-grades/", "/list-entries/", "/data/", "/bureaus/", "/data/penalty.csv",
             f"/penalties/{decision}", "/search/?q=%E4%BB%A3%E7%90%86"]
    return pages + [f"/agencies/{u}" for u in usccs]


@pytest.mark.parametrize(("worker_class", "threads"), [("sync", 1), ("gthread", 4)])
def test_public_pages_under_load(scratch_db, tmp_path, worker_class, threads):
    db_url = scratch_db.render_as_string(hide_password=False)
    instance = str(tmp_path / "instance")
    os.makedirs(instance)
    _demo(db_url, instance)
    pages = _pages(db_url)
    server = Gunicorn(db_url, instance, workers=2, worker_class=worker_class,
                      threads=threads)
    try:
        workers_before = sorted(server.workers())

        def client(n: int) -> Counter:
            seen: Counter = Counter()
            with requests.Session() as http:
                for i in range(ROUNDS * len(pages)):
                    path = pages[(n + i) % len(pages)]
                    try:
                        status = http.get(server.base + path, timeout=60).status_code
                    except requests.RequestException as exc:
                        status = type(exc).__name__
                    seen[(path, status)] += 1
            return seen

        with ThreadPoolExecutor(CLIENTS) as pool:
            totals = sum(pool.map(client, range(CLIENTS)), Counter())
        failed = {k: v for k, v in totals.items() if k[1] != 200}
        assert not failed, failed
        assert sum(totals.values()) == CLIENTS * ROUNDS * len(pages)
        assert sorted(server.workers()) == workers_before, "a worker died or was replaced"
    finally:
        server.stop()
    crashes = [line for line in server.log_text().splitlines() if CRASH.search(line)]
    assert not crashes, crashes[:20]
