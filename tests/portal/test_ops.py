"""The operator's toolkit: health, readiness, metrics, request ids, backup and restore."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import pathlib

import pytest
import sqlalchemy as sa

from intake.models import OutboxMail
from portal.extensions import db
from portal.ops import logs
from portal.timeutil import utcnow
from tests.factories import register as f


def test_healthz_answers_without_the_database(app, client, monkeypatch):
    def unreachable(*a, **kw):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(db.session, "execute", unreachable)
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["problems"] == ["database unreachable"]


def test_readyz_is_not_ready_without_the_schema(app, client):
    with app.app_context():
        cascade = " CASCADE" if db.engine.dialect.name == "postgresql" else ""
        db.session.execute(sa.text("DROP TABLE outbox_mail" + cascade))
        db.session.commit()
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert "is the schema migrated" in resp.json["problems"][0]


def test_readyz_reports_index_lag_and_a_stuck_outbox(app, client):
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "ready" and resp.json["database"] is True
    with app.app_context():
        f.make_agency(name="就绪检查专利代理有限公司")
        db.session.commit()
    assert client.get("/readyz").json["index_lag_seconds"] == 0.0  # applied at commit
    app.config["SEARCH_APPLY_ON_COMMIT"] = False
    with app.app_context():
        from search.changes import SearchChange

        f.make_agency(name="滞后检查专利代理有限公司")
        db.session.commit()
        db.session.execute(sa.update(SearchChange).values(at=utcnow() - dt.timedelta(minutes=5)))
        db.session.add(OutboxMail(to="a@example.org", subject="s", body="b",
                                  created_at=utcnow() - dt.timedelta(hours=2)))
        db.session.commit()
    resp = client.get("/readyz")
    assert resp.status_code == 503
    problems = " | ".join(resp.json["problems"])
    assert "search index 300 s behind the change log" in problems
    assert "outbox stuck" in problems


def test_metrics_need_the_token(app, client):
    assert client.get("/metrics").status_code == 404  # no token configured: not there
    app.config["METRICS_TOKEN"] = "s3cret-token-for-tests"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    client.get("/agencies/")
    client.get("/no-such-page-at-all")
    resp = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-tests"})
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert 'portal_requests_total{endpoint="register.agencies",method="GET",status="200"}' in text
    assert 'endpoint="unmatched"' in text and "no-such-page" not in text
    assert "portal_request_duration_seconds_bucket" in text
    assert "portal_tips_filed" in text and "portal_outbox_waiting" in text
    assert "portal_search_index_lag_seconds" in text


def test_request_id_is_kept_from_the_proxy_or_made(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc123def456"})
    assert given.headers["X-Request-ID"] == "abc123def456"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; <script>"})
    assert made.headers["X-Request-ID"] != "bad id; <script>"
    assert len(made.headers["X-Request-ID"]) == 16


def test_json_log_lines_carry_the_request_id(app):
    record = logging.LogRecord("portal", logging.ERROR, __file__, 1, "净值 %s", ("x",), None)
    with app.test_request_context("/"):
        from flask import g

        g.request_id = "rid-00000001"
        logs.RequestIdFilter().filter(record)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["request_id"] == "rid-00000001"
    assert line["message"] == "净值 x" and line["level"] == "ERROR"


@pytest.fixture
def demo_site(app):
    """Register data, a tip with an evidence file, an indexed search."""
    from tests.factories import intake as fi

    with app.app_context(), app.test_request_context():
        f.make_agency(name="备份测试专利代理有限公司")
        fi.make_tip(with_file=True)  # stores an evidence file under UPLOAD_DIR
        db.session.commit()
    return app


def _rows(app) -> dict:
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            if table.name == "search_change":
                continue
            rows = db.session.execute(sa.select(table)).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
        return out


def _files(root: str) -> dict:
    out = {}
    for dirpath, _d, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def test_backup_destroy_restore_gives_back_every_row_and_file(demo_site, tmp_path):
    app = demo_site
    uploads = app.config["UPLOAD_DIR"]
    rows, files = _rows(app), _files(uploads)
    assert files  # the tip's evidence
    assert rows["agency"] and rows["tip"]
    runner = app.test_cli_runner()
    target = str(tmp_path / "backup-1")
    result = runner.invoke(args=["backup", target])
    assert result.exit_code == 0, result.output
    manifest_path = pathlib.Path(target, "manifest.json")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    stored = sorted(manifest["files"])
    assert [f"uploads/{name}" for name in sorted(files)] == [s for s in stored
                                                             if s.startswith("uploads/")]
    assert manifest["data_key_ids"]
    assert app.config["SECRET_KEY"] not in manifest_path.read_text("utf-8")

    # destroy: rows and files gone
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    import shutil

    shutil.rmtree(uploads)

    # a tampered backup is refused before anything is touched
    victim = pathlib.Path(target, "uploads", sorted(files)[0])
    original = victim.read_bytes()
    victim.write_bytes(b"tampered")
    result = runner.invoke(args=["restore", target])
    assert result.exit_code != 0 and "does not match its manifest" in result.output
    victim.write_bytes(original)

    result = runner.invoke(args=["restore", target])
    assert result.exit_code == 0, result.output
    assert _rows(app) == rows
    assert _files(uploads) == files
    with app.app_context():
        from search.cli import check

        assert not any(check().values())  # the index was rebuilt from the restored rows
    # restoring over a site that holds tips needs --force
    result = runner.invoke(args=["restore", target])
    assert result.exit_code != 0 and "--force" in result.output
