"""Several writers and readers at once, on both engines."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.register.models import Penalty
from search import get_engine, get_segmenter
from search.cli import check, rebuild
from search.engines.base import Filters, SearchRequest
from search.text import ParsedQuery
from tests.factories import register as f
from tests.search.conftest import penalty_row

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def count(q: str) -> int:
    req = SearchRequest(query=ParsedQuery(q, get_segmenter()), filters=Filters(today=20260115),
                        limit=5, facets=True)
    return get_engine().search(req).total


@pytest.mark.slow
def test_two_processes_publishing_lose_nothing(app, app_config):
    with app.app_context():
        f.make_agency(name="并发测试专利代理有限公司")
        db.session.commit()
    n = 15
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.search.publish_worker",
             app_config["SQLALCHEMY_DATABASE_URI"], app_config["SEARCH_INDEX_DIR"],
             app_config["SEARCH_ENGINE"], tag, str(n)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for tag in ("甲", "乙")
    ]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        assert b"indexing" not in err, err.decode()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Penalty)) == 2 * n
        assert count('"并发发布测试甲"') == n
        assert count('"并发发布测试乙"') == n
        assert not any(check().values())


def test_rebuild_while_queries_run(app):
    with app.app_context(), app.test_request_context():
        ag = f.make_agency(name="重建测试专利代理有限公司")
        for i in range(30):
            penalty_row(ag, facts=f"重建期间查询测试第{i}件")
        db.session.commit()
        assert count("重建期间查询测试") == 30
    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def reader():
        with app.app_context():
            while not stop.is_set():
                try:
                    seen.append(count("重建期间查询测试"))
                except BaseException as exc:  # noqa: BLE001 - any failure fails the test
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        with app.app_context():
            for _ in range(3):
                rebuild()
                # publishing during and between rebuilds
                ag = db.session.scalar(sa.select(f.Agency).where(f.Agency.name.like("重建%")))
                penalty_row(ag, facts="重建之后发布的处罚")
                db.session.commit()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert seen and set(seen) == {30}
    with app.app_context():
        assert count("重建之后发布的处罚") == 3
        assert not any(check().values())
        gens = [d for d in os.listdir(get_engine().root) if d.startswith("gen-")]
        assert len(gens) <= 2
