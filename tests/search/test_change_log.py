"""More than one host: the change log, written in the writer's transaction, brings every
host's index up to date (two app instances, two index folders, one database)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from search import changes, get_engine, get_segmenter
from search.changes import Position, SearchChange
from search.engines.base import Filters, SearchRequest
from search.text import ParsedQuery
from tests.factories import register as f
from tests.search.conftest import penalty_row


def found(app, q: str) -> int:
    with app.app_context():
        req = SearchRequest(query=ParsedQuery(q, get_segmenter()),
                            filters=Filters(today=20260115), limit=5)
        return get_engine().search(req).total


@pytest.fixture
def host_b(app_config, app, tmp_path):
    """A second web host: the same database, its own index, indexing only by following."""
    config = {**app_config, "SEARCH_INDEX_DIR": str(tmp_path / "index-b"),
              "INSTANCE_PATH": str(tmp_path / "instance-b"), "SEARCH_APPLY_ON_COMMIT": False}
    other = create_app(config)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_change_is_logged_in_the_writers_transaction(app):
    with app.app_context():
        ag = f.make_agency(name="日志测试专利代理有限公司")
        db.session.commit()
        logged = db.session.scalars(sa.select(SearchChange.key)).all()
        assert f"agency:{ag.id}" in logged
        # a rolled-back change leaves nothing in the log
        before = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
        penalty_row(ag, facts="回滚的处罚不入日志。")
        db.session.flush()
        db.session.rollback()
        after = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
        assert after == before


def test_publish_through_one_host_is_found_through_the_other(app, host_b):
    stop = threading.Event()
    follower = threading.Thread(target=changes.follow, args=(host_b,),
                                kwargs={"poll": 0.05, "stop": stop.is_set}, daemon=True)
    follower.start()
    try:
        with app.app_context():
            ag = f.make_agency(name="两台主机专利代理有限公司")
            penalty_row(ag, facts="经查该机构存在跨主机检索测试行为。")
            db.session.commit()
            agency_id = ag.id
        assert found(app, '"跨主机检索测试"') == 1  # the writing host: at once
        deadline = time.monotonic() + 1.0
        while found(host_b, '"跨主机检索测试"') == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert found(host_b, '"跨主机检索测试"') == 1  # the other host: within a second
        with app.app_context():
            ag = db.session.get(type(ag), agency_id)
            ag.name = "两台主机知识产权代理有限公司"  # a rename reaches its records too
            db.session.commit()
        deadline = time.monotonic() + 1.0
        while found(host_b, "两台主机知识产权") < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert found(host_b, "两台主机知识产权") == 2
    finally:
        stop.set()
        follower.join(5)


def test_a_follower_killed_mid_batch_loses_nothing_and_duplicates_nothing(app, host_b,
                                                                         monkeypatch):
    with app.app_context():
        ag = f.make_agency(name="中断测试专利代理有限公司")
        for i in range(30):
            penalty_row(ag, facts=f"中断续跑测试第{i}号处罚。", decision_number=f"中断〔2025〕{i}号")
        db.session.commit()
    monkeypatch.setattr(changes, "BATCH", 10)
    from search import indexing

    real = indexing.index_keys
    calls = []

    def dies_on_the_second_batch(keys, app=None):
        calls.append(len(keys))
        if len(calls) == 2:
            real(sorted(keys)[:3], app)  # part of the batch reached the index, then: killed
            raise SystemExit("killed")
        return real(keys, app)

    monkeypatch.setattr(indexing, "index_keys", dies_on_the_second_batch)
    with pytest.raises(SystemExit):
        changes.catch_up(host_b)
    monkeypatch.setattr(indexing, "index_keys", real)
    assert changes.catch_up(host_b) > 0  # restarted: takes up where the position says
    assert found(host_b, "中断续跑测试") == 30
    with host_b.app_context():
        from search.cli import check

        assert not any(check().values())  # nothing missing, stale or extra (no duplicate)
        assert changes.lag_seconds() == 0.0


def test_an_id_seen_late_is_not_skipped(app, host_b):
    """On PostgreSQL an earlier id can commit after a later one: the follower remembers
    the id it skipped over and applies it when it shows up."""
    with app.app_context():
        ag = f.make_agency(name="空洞测试专利代理有限公司")
        db.session.commit()
        agency_id = ag.id
    changes.catch_up(host_b)
    with host_b.app_context():
        position = Position.load(get_engine().root)
        assert position is not None and position.holes == {}
        # Simulate: ids last+1 and last+2 were handed out; last+2 commits first.
        changes._advance(position, [position.last + 2])
        assert set(position.holes) == {position.last - 1}
        late_id = position.last - 1
        position.save(get_engine().root)
        row = SearchChange(id=late_id, key=f"agency:{agency_id}")
        db.session.add(row)
        db.session.commit()
    assert changes.catch_up(host_b) == 1
    with host_b.app_context():
        assert Position.load(get_engine().root).holes == {}


def test_follow_command_once(app, host_b):
    with app.app_context():
        f.make_agency(name="命令测试专利代理有限公司")
        db.session.commit()
    result = host_b.test_cli_runner().invoke(args=["search", "follow", "--once"])
    assert result.exit_code == 0, result.output
    assert "applied" in result.output
    assert found(host_b, "命令测试专利代理") == 1


def test_a_replaced_database_does_not_leave_the_index_behind(app, host_b):
    """A restore replaces the database: the log starts again below the position a host
    remembered. The host starts over instead of ignoring the new changes."""
    with host_b.app_context():
        Position(last=10_000).save(get_engine().root)  # far ahead of this database's log
    with app.app_context():
        f.make_agency(name="恢复测试专利代理有限公司")
        db.session.commit()
    assert changes.catch_up(host_b) >= 1
    assert found(host_b, "恢复测试专利代理") == 1
    with host_b.app_context():
        assert Position.load(get_engine().root).last < 10_000
