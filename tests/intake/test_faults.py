"""Faults in tip intake: a commit whose answer is lost (the tip is stored; its files must
stay), a database outage during a POST (the form's own 503 with the input kept), and
``portal storage check`` (files without rows, rows without files)."""

from __future__ import annotations

import io
import os
import re

import pytest
from sqlalchemy import event

from intake import storage
from intake.models import Attachment, Tip
from portal.extensions import db
from tests.factories.intake import PDF, PNG, form_data

CODE_RE = re.compile(r'id="tracking-code-field" class="code-field" value="([^"]+)"')


def post(client, data, files=(), **kw):
    payload = dict(data)
    if files:
        payload["evidence"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/tips/new", data=payload, content_type="multipart/form-data", **kw)


def upload_files(app):
    path = app.config["UPLOAD_DIR"]
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def stored(app):
    with app.app_context():
        tips = list(db.session.scalars(db.select(Tip)))
        names = sorted(db.session.scalars(db.select(Attachment.stored_name)))
        return len(tips), names


def break_commit(app, monkeypatch, *, commit_first: bool, times: int = 1):
    """The next ``times`` COMMITs fail like a connection dropped after (``commit_first``)
    or before the server got them."""
    with app.app_context():
        dialect = db.engine.dialect
    original = dialect.do_commit
    left = {"n": times}

    def do_commit(dbapi_connection):
        if left["n"] <= 0:
            return original(dbapi_connection)
        left["n"] -= 1
        if commit_first:
            original(dbapi_connection)
        raise dialect.loaded_dbapi.OperationalError(
            "server closed the connection unexpectedly")

    monkeypatch.setattr(dialect, "do_commit", do_commit)


# -- a commit that happened, but its answer was lost -----------------------------------

def test_commit_answer_lost_keeps_the_files_and_shows_the_receipt(app, client, monkeypatch):
    break_commit(app, monkeypatch, commit_first=True)
    response = post(client, form_data(description="提交后连接中断，举报其实已经保存。"),
                    [("合同.pdf", PDF), ("截图.png", PNG)])
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    assert CODE_RE.search(html), "the receipt with the tracking code"
    tips, names = stored(app)
    assert tips == 1 and len(names) == 2
    assert upload_files(app) == names  # the committed tip's files are all there
    with app.app_context():
        attachment = db.session.scalars(db.select(Attachment)).first()
        assert storage.read_evidence(attachment).startswith((b"%PDF", b"\x89PNG"))


def test_commit_that_never_reached_the_server_removes_the_files(app, client, monkeypatch):
    break_commit(app, monkeypatch, commit_first=False)
    response = post(client, form_data(description="连接在提交前中断，举报没有保存。"),
                    [("合同.pdf", PDF)])
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "没有保存" in html and "连接在提交前中断，举报没有保存。" in html and "合同.pdf" in html
    assert stored(app) == (0, []) and upload_files(app) == []


def test_commit_lost_and_database_gone_keeps_files_and_says_so(app, client, monkeypatch):
    """The COMMIT happened but the database is unreachable afterwards: nothing can be
    decided, so nothing is removed; the reporter is told a retry cannot file twice."""
    with app.app_context():
        engine = db.engine
    state = {"down": False}
    original = engine.dialect.do_commit

    def do_commit(dbapi_connection):
        original(dbapi_connection)
        if not state["down"]:
            state["down"] = True
            raise engine.dialect.loaded_dbapi.OperationalError("connection lost")

    monkeypatch.setattr(engine.dialect, "do_commit", do_commit)
    data = form_data(description="提交后数据库整个不可用了。")
    with database_down(engine, when=lambda: state["down"]):
        response = post(client, data, [("合同.pdf", PDF)])
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "无法确认您的举报是否已经保存" in html
    assert "提交后数据库整个不可用了。" in html
    assert f'value="{data["submission_key"]}"' in html  # a retry is the same submission
    tips, names = stored(app)
    assert tips == 1 and upload_files(app) == names  # committed: its file is still there
    again = post(client, data, [("合同.pdf", PDF)])  # the database is back: the receipt
    assert again.status_code == 200 and "这份举报已经提交过" in again.get_data(as_text=True)
    assert stored(app) == (tips, names) and upload_files(app) == names


def test_reporter_reply_whose_commit_answer_was_lost_keeps_its_file(app, client, monkeypatch):
    from tests.intake.test_tracking import file_tip, track

    track(client, file_tip(client))
    break_commit(app, monkeypatch, commit_first=True)
    response = client.post("/tips/track/reply", data={
        "text": "补充材料：付款凭证。", "evidence": [(io.BytesIO(PDF), "付款凭证.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 303
    tips, names = stored(app)
    assert len(names) == 1 and upload_files(app) == names


# -- a database outage during the POST --------------------------------------------------

class database_down:
    """Every new connection to the database fails (``when`` decides from when), and the
    pooled ones are dropped: as if the server were down."""

    def __init__(self, engine, when=lambda: True):
        self.engine, self.when = engine, when

    def _connect(self, dialect, conn_rec, cargs, cparams):
        if self.when():
            raise dialect.loaded_dbapi.OperationalError("connection refused")
        return None

    def _checkin(self, dbapi_connection, record):
        if self.when() and record is not None:
            record.invalidate()

    def __enter__(self):
        if self.when():
            self.engine.dispose()
        self.pool = self.engine.pool
        event.listen(self.engine, "do_connect", self._connect)
        event.listen(self.pool, "checkin", self._checkin)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "do_connect", self._connect)
        event.remove(self.pool, "checkin", self._checkin)
        self.engine.dispose()


@pytest.fixture
def outage(app):
    with app.app_context():
        engine = db.engine
    return lambda: database_down(engine)


def test_tip_posted_during_an_outage_gets_its_form_back_with_the_input(app, client, outage):
    from intake import offline

    offline.forget()
    assert client.get("/tips/new").status_code == 200  # this process's copy of the places
    data = form_data(description="数据库故障期间提交的举报，内容要保留。",
                     operator_contact="微信号 abc123", identity="named",
                     reporter_name="举报人乙", reporter_phone="13900000000")
    with outage():
        response = post(client, data, [("合同.pdf", PDF), ("截图.png", PNG)],
                        headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["X-Form-Rerender"] == "1"
    assert "系统暂时出现故障，您的举报没有保存。" in html and "系统错误" not in html
    for typed in ("数据库故障期间提交的举报，内容要保留。", "微信号 abc123", "举报人乙",
                  "13900000000", data["submission_key"]):
        assert typed in html
    # The place lists come from the copy: the choices are still selected, by name.
    assert re.search(r'value="140105" selected>小店区<', html)
    assert re.search(r'value="140100" selected>太原市<', html)
    assert "合同.pdf" in html and "截图.png" in html  # to be chosen again
    assert stored(app) == (0, []) and upload_files(app) == []  # nothing half-written
    # Once the database is back, the same form files the tip.
    assert post(client, data, [("合同.pdf", PDF)]).status_code == 200
    assert stored(app)[0] == 1


def test_outage_page_without_a_copy_of_the_places_keeps_the_chosen_codes(app, client,
                                                                          outage):
    from intake import offline

    offline.forget()
    with outage():
        response = post(client, form_data(description="进程启动后数据库一直不可用。"))
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "没有保存" in html
    assert 'value="140105" selected' in html and "进程启动后数据库一直不可用。" in html


def test_outage_page_speaks_the_page_language(app, client, outage):
    with outage():
        response = post(client, form_data(), headers={"Accept-Language": "en"},
                        query_string={"lang": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and '<html lang="en"' in html


# -- portal storage check -------------------------------------------------------------

def _age(app, name, seconds):
    path = os.path.join(app.config["UPLOAD_DIR"], name)
    old = os.path.getmtime(path) - seconds
    os.utime(path, (old, old))


def test_storage_check_lists_and_removes_orphans_and_lists_missing_files(app, client,
                                                                         runner):
    assert post(client, form_data(), [("a.pdf", PDF), ("b.png", PNG)]).status_code == 200
    tips, names = stored(app)
    upload = app.config["UPLOAD_DIR"]
    # A worker killed between writing and committing; an interrupted re-encryption; a file
    # being written right now; something that is not ours.
    orphan, tmp, young = "a" * 40 + ".pdf", "b" * 40 + ".png.0123abcd.tmp", "c" * 40 + ".pdf"
    for name in (orphan, tmp, young, "README.txt"):
        with open(os.path.join(upload, name), "wb") as out:
            out.write(b"x")
    for name in (orphan, tmp, "README.txt", *names):
        _age(app, name, 2 * 3600)
    os.remove(os.path.join(upload, names[0]))  # a row whose file is gone

    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 1, result.output
    out = result.output
    assert f"orphan: {orphan}" in out and f"orphan: {tmp}" in out and young not in out
    assert f"missing: {names[0]}" in out and "JB-" in out
    assert "ignored: README.txt" in out and "1 file(s) without a row are younger" in out
    assert sorted(os.listdir(upload)) == sorted([orphan, tmp, young, "README.txt", names[1]])

    result = runner.invoke(args=["storage", "check", "--fix"])
    assert result.exit_code == 1  # the missing file still needs a person
    assert "orphans: 2 (removed 2); missing: 1" in result.output
    assert sorted(os.listdir(upload)) == sorted([young, "README.txt", names[1]])

    result = runner.invoke(args=["storage", "check", "--fix", "--grace-minutes", "0"])
    assert f"removed: {young}" in result.output
    assert sorted(os.listdir(upload)) == sorted(["README.txt", names[1]])


def test_storage_check_is_clean_after_normal_filing(app, client, runner):
    assert post(client, form_data(), [("a.pdf", PDF)]).status_code == 200
    result = runner.invoke(args=["storage", "check", "--grace-minutes", "0"])
    assert result.exit_code == 0 and "orphans: 0; missing: 0" in result.output


def test_undecided_files_of_an_uncommitted_tip_are_removed_by_the_check(app, client, runner,
                                                                       monkeypatch):
    """The COMMIT never happened and the database could not be asked: the files stay, and
    the storage check removes them once they are past the grace period."""
    with app.app_context():
        engine = db.engine
    state = {"down": False}

    def do_commit(dbapi_connection):
        state["down"] = True
        raise engine.dialect.loaded_dbapi.OperationalError("connection lost")

    monkeypatch.setattr(engine.dialect, "do_commit", do_commit)
    with database_down(engine, when=lambda: state["down"]):
        response = post(client, form_data(), [("a.pdf", PDF)])
    monkeypatch.undo()
    assert response.status_code == 503 and "无法确认" in response.get_data(as_text=True)
    assert stored(app) == (0, []) and len(upload_files(app)) == 1
    result = runner.invoke(args=["storage", "check", "--fix", "--grace-minutes", "0"])
    assert "orphans: 1 (removed 1); missing: 0" in result.output and result.exit_code == 0
    assert upload_files(app) == []


def test_outcome_waits_for_the_old_transaction_on_postgresql(app, monkeypatch):
    """A COMMIT may still be on its way to the server: "not committed" is only concluded
    once that transaction's server process is idle or gone."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only (server processes)")
        monkeypatch.setattr(storage, "OUTCOME_WAIT_SECONDS", 0.3)
        with engine.connect() as old, engine.connect() as fresh:
            old.execute(db.text("UPDATE division SET name = name WHERE code = '140000'"))
            pid = old.connection.dbapi_connection.info.backend_pid
            assert storage._transaction_over(fresh, pid) is False  # open: wait, then no
            old.commit()
            assert storage._transaction_over(fresh, pid) is True
            assert storage._transaction_over(fresh, None) is True


def test_database_failing_after_files_were_written_before_commit(app, client, monkeypatch):
    """Known not stored (no COMMIT was sent): the files go, the form says so."""
    from sqlalchemy.exc import OperationalError

    written = storage.store

    def store_then_fail(files, session):
        written(files, session)
        raise OperationalError("INSERT INTO attachment", {}, Exception("connection lost"))

    monkeypatch.setattr(storage, "store", store_then_fail)
    response = post(client, form_data(description="文件已写入，数据库随后出错。"),
                    [("合同.pdf", PDF)])
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "您的举报没有保存" in html
    assert "文件已写入，数据库随后出错。" in html
    assert stored(app) == (0, []) and upload_files(app) == []
