"""Tip intake under gunicorn on PostgreSQL, broken from outside: 50 concurrent tips with
files while a worker is killed (SIGKILL), then a database outage.

Every tip a client got a receipt for is stored with its files; a client whose connection
was cut sends the same form again (same submission key) and gets the receipt, never a
second tip; ``portal storage check --fix`` leaves no orphan file; during the outage the
form comes back (503) with the input and nothing is written."""

from __future__ import annotations

import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from tests.factories.intake import PDF

from .conftest import (
    CODE_RE,
    FORM_FIELDS,
    SECRET,
    Gunicorn,
    admin_execute,
    portal_env,
    worker_of_backend,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

TIPS = 50
CLIENTS = 16
KILL_AFTER = 15  # receipts


def _form(n: int) -> dict:
    return {
        "category": "虚假宣传", "party_kind": "operator", "operator_name": f"故障测试工作室{n}",
        "province": "140000", "city": "140100", "district": "140105",
        "description": f"故障测试第 {n} 份举报：对方承诺包授权，收费后失联。",
        "identity": "anonymous", "consent": "y",
    }


def _photo() -> bytes:
    """A 900 x 900 noise PNG (~2.4 MB): cleaning it (Pillow re-encodes it) keeps a worker
    busy between writing the tip's first file and committing, where it gets killed."""
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (900, 900), random.Random(19).randbytes(900 * 900 * 3)).save(
        out, "PNG", compress_level=1)
    return out.getvalue()


PHOTO = _photo()


def _evidence(n: int) -> list:
    pdf = PDF + f"% tip {n}\n".encode() * 2000  # ~20 KB, different for every tip
    return [("evidence", (f"合同{n}.pdf", pdf, "application/pdf")),
            ("evidence", ("截图.png", PHOTO, "image/png"))]


class Client:
    """One reporter: renders the form once, then POSTs it until a receipt comes back
    (a cut connection is retried with the same form, as the page's script does)."""

    def __init__(self, base: str, n: int):
        self.base, self.n = base, n
        self.http = requests.Session()
        self.fields: dict = {}
        self.attempts = 0

    def render(self) -> None:
        response = self.http.get(self.base + "/tips/new", timeout=30)
        response.raise_for_status()
        self.fields = dict(FORM_FIELDS.findall(response.text))

    def post(self) -> requests.Response:
        self.attempts += 1
        return self.http.post(self.base + "/tips/new", data={**self.fields, **_form(self.n)},
                              files=_evidence(self.n), timeout=60)

    def file(self) -> str | None:
        for _ in range(8):
            try:
                if not self.fields:
                    self.render()
                response = self.post()
            except requests.ConnectionError:
                time.sleep(0.3)
                continue
            found = CODE_RE.search(response.text)
            if response.status_code == 200 and found:
                return found.group(1)
            assert response.status_code >= 500, (response.status_code, response.text[:500])
            time.sleep(0.3)
        return None


def _stored(db_url: str, instance: str) -> dict:
    """tracking hash -> [(stored name, sha256 of the decrypted file or None)]."""
    from intake import storage
    from intake.models import Tip
    from portal import create_app
    from portal.extensions import db

    env = portal_env(db_url, instance)
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": SECRET,
                      "INSTANCE_PATH": instance, "UPLOAD_DIR": env["PORTAL_UPLOAD_DIR"],
                      "SEARCH_ENGINE": "none"})
    found = {}
    with app.app_context():
        for tip in db.session.scalars(sa.select(Tip)):
            files = []
            for a in tip.attachments:
                try:
                    digest = hashlib.sha256(storage.read_evidence(a)).hexdigest()
                except FileNotFoundError:
                    digest = None
                files.append((a.stored_name, digest == a.sha256))
            found[tip.tracking_hash] = files
        db.session.remove()
        db.engine.dispose()
    return found


def _writer_between_file_and_commit(server, scratch, upload: str) -> int | None:
    """Wait for a worker that has written an evidence file and not committed yet (a file
    with no committed row; exactly one database connection with an open write
    transaction) and return its pid; None after 20 s."""
    engine = sa.create_engine(scratch, isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + 20
    try:
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                # In this order: a file listed first, still without a committed row
                # after the connections were read, was written by one of them.
                files = set(os.listdir(upload)) if os.path.isdir(upload) else set()
                ports = list(conn.scalars(sa.text(
                    "SELECT client_port FROM pg_stat_activity WHERE datname = :d "
                    "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"),
                    {"d": scratch.database}))
                rows = set(conn.scalars(sa.text("SELECT stored_name FROM attachment")))
                if files - rows and len(ports) == 1:
                    pid = worker_of_backend(server.workers(), ports[0])
                    if pid and _still_uncommitted(conn, pid, files - rows):
                        return pid
                time.sleep(0.002)
    finally:
        engine.dispose()
    return None


def _still_uncommitted(conn, pid: int, files: set) -> bool:
    """Freeze the worker, let a COMMIT already sent land, and look again: its files still
    without rows means it is caught between writing them and committing (left frozen,
    to be killed); otherwise it goes on."""
    os.kill(pid, signal.SIGSTOP)
    time.sleep(0.1)
    rows = set(conn.scalars(sa.text("SELECT stored_name FROM attachment")))
    if files - rows:
        return True
    os.kill(pid, signal.SIGCONT)
    return False


def _storage_check(db_url: str, instance: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "portal"), "storage", "check", "--fix",
         "--grace-minutes", "0"], env=portal_env(db_url, instance), capture_output=True,
        text=True, timeout=120)


def test_fifty_tips_with_a_worker_killed_then_a_database_outage(scratch_db, tmp_path):
    from intake.codes import hash_code

    db_url = scratch_db.render_as_string(hide_password=False)
    instance = str(tmp_path / "instance")
    os.makedirs(instance)
    upload = os.path.join(instance, "uploads")
    server = Gunicorn(db_url, instance, workers=2)
    try:
        done, killed = [], []

        def one(n):
            code = Client(server.base, n).file()
            done.append(code)
            return code

        def killer():
            while len(done) < KILL_AFTER:
                time.sleep(0.01)
            victim = _writer_between_file_and_commit(server, scratch_db, upload)
            killed.append(victim or server.workers()[0])
            os.kill(killed[0], 9)
            killed.append(victim is not None)

        watcher = threading.Thread(target=killer, daemon=True)
        watcher.start()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            codes = list(pool.map(one, range(TIPS)))
        watcher.join(timeout=5)
        assert killed, "a worker was killed"
        assert f"Worker (pid:{killed[0]}) was sent SIGKILL" in server.log_text()

        # Every client got a receipt, and every receipt is a stored tip with its files.
        assert None not in codes and len(set(codes)) == TIPS
        stored = _stored(db_url, instance)
        assert set(stored) == {hash_code(c) for c in codes}  # one tip per form, no more
        assert all(len(files) == 2 and all(ok for _, ok in files)
                   for files in stored.values())
        names = {name for files in stored.values() for name, _ in files}
        orphans = set(os.listdir(upload)) - names
        print(f"\nkilled worker {killed[0]}; orphan files before the check: {len(orphans)}")
        assert killed[1], "no worker was caught between writing a file and committing"
        assert orphans

        check = _storage_check(db_url, instance)
        assert check.returncode == 0, check.stdout + check.stderr
        assert f"orphans: {len(orphans)} (removed {len(orphans)}); missing: 0" in check.stdout
        assert set(os.listdir(upload)) == names

        # A database outage: the form comes back with the input; nothing is written.
        reporter = Client(server.base, TIPS)
        reporter.render()
        name = scratch_db.database
        admin_execute(scratch_db, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        try:
            response = reporter.post()
        finally:
            admin_execute(scratch_db, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert response.status_code == 503
        assert "系统暂时出现故障，您的举报没有保存。" in response.text
        assert _form(TIPS)["description"] in response.text and "系统错误" not in response.text
        assert set(os.listdir(upload)) == names
        assert len(_stored(db_url, instance)) == TIPS
        # The database is back: the same form files the tip.
        code = reporter.file()
        assert code and len(_stored(db_url, instance)) == TIPS + 1
    finally:
        server.stop()
