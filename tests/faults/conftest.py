"""Fault tests: the app under gunicorn on a scratch PostgreSQL database, broken from
outside (a worker killed, the database cut off).  They need PostgreSQL: the server of
PORTAL_TEST_DATABASE_URL (CI) or PORTAL_FAULTS_DATABASE_URL; skipped without one."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER_URL = os.environ.get("PORTAL_FAULTS_DATABASE_URL") or os.environ.get(
    "PORTAL_TEST_DATABASE_URL")
SECRET = "faults-secret-key-that-is-long-enough-0123456789"


def _postgres_url() -> sa.URL:
    if not SERVER_URL or not SERVER_URL.startswith("postgresql"):
        pytest.skip("fault tests need PostgreSQL (PORTAL_TEST_DATABASE_URL)")
    return sa.make_url(SERVER_URL)


def admin_execute(url: sa.URL, *statements: str) -> None:
    """Run statements outside a transaction in the server's maintenance database."""
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def scratch_db(tmp_path):
    """A new PostgreSQL database with the schema and the reference data; dropped after."""
    url = _postgres_url()
    name = f"faults_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    admin_execute(url, f'CREATE DATABASE "{name}"')
    scratch = url.set(database=name)
    try:
        _build(scratch.render_as_string(hide_password=False), str(tmp_path / "build"))
        yield scratch
    finally:
        admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _build(url: str, instance: str) -> None:
    code = ("import sys; from portal import create_app; from portal.extensions import db; "
            "from portal.register.reference import load_bureaus, load_divisions; "
            "app = create_app({'SQLALCHEMY_DATABASE_URI': sys.argv[1], 'SEARCH_ENGINE': 'none',"
            f" 'SECRET_KEY': '{SECRET}', 'INSTANCE_PATH': sys.argv[2]}});\n"
            "with app.app_context():\n"
            "    db.create_all(); load_divisions(); load_bureaus(); db.session.commit()\n")
    subprocess.run([sys.executable, "-c", code, url, instance], cwd=ROOT, check=True,
                   timeout=120)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portal_env(db_url: str, instance: str) -> dict:
    env = dict(os.environ)
    env.update({
        "PORTAL_DATABASE_URL": db_url, "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_INSTANCE_PATH": instance, "PORTAL_UPLOAD_DIR": os.path.join(instance, "uploads"),
        "PORTAL_SEARCH_ENGINE": "none", "PORTAL_RATELIMIT_ENABLED": "0",
        "PORTAL_ENV": "development",
    })
    env.pop("PORTAL_DATA_KEY", None)
    return env


class Gunicorn:
    """gunicorn with the deploy configuration (deploy/gunicorn.conf.py), ``workers``
    processes of ``worker_class`` (``threads`` each for gthread)."""

    def __init__(self, db_url: str, instance: str, workers: int = 2,
                 worker_class: str = "sync", threads: int = 1):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = portal_env(db_url, instance)
        self.env["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(instance, "prometheus")
        self.log = open(os.path.join(instance, "gunicorn.log"), "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"),
             "-c", os.path.join(ROOT, "deploy", "gunicorn.conf.py"), "-w", str(workers),
             "-k", worker_class, "--threads", str(threads), "-b", f"127.0.0.1:{self.port}",
             "--max-requests", "0", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_up()

    def _wait_up(self) -> None:
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_text()[-3000:]}")
            try:
                if requests.get(self.base + "/tips/new", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer: {self.log_text()[-3000:]}")

    def workers(self) -> list[int]:
        path = f"/proc/{self.proc.pid}/task/{self.proc.pid}/children"
        with open(path) as f:
            return [int(p) for p in f.read().split()]

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


FORM_FIELDS = re.compile(r'name="(csrf_token|submission_key)" value="([^"]+)"')
CODE_RE = re.compile(r'id="tracking-code-field" class="code-field" value="([^"]+)"')


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def _inode_of_local_port(port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == port:
                    return parts[9]
    return None


def worker_of_backend(workers: list[int], client_port: int) -> int | None:
    """The worker process whose database connection has this local port."""
    inode = _inode_of_local_port(client_port)
    for pid in workers:
        if inode and inode in _socket_inodes(pid):
            return pid
    return None
