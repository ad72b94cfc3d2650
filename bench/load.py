"""Load benchmark of the public pages under gunicorn, beside a bare Flask page (issue 19).

    .venv/bin/python bench/load.py                       # builds /tmp/load100k if missing
    .venv/bin/python bench/load.py --runs 3 --duration 20
    .venv/bin/python bench/load.py --page-cache 0        # every request renders its page
    .venv/bin/python bench/load.py --sql                 # SQL statements and time per page
                                                         # (in-process, no gunicorn)

Starts gunicorn itself with deploy/gunicorn.conf.py (sync workers, ``--workers``, 4 by
default) on an instance holding ``portal demo --agencies N`` (SQLite), and a bare Flask app
answering a page of the home page's size on the same gunicorn settings as the reference.
Drives each page with ``wrk`` (keep-alive connections: ``-t2 -c32``; apt-get install wrk)
and prints requests/s, p99 and the share of the bare page's requests/s, per page and run.
A request answered with anything but 2xx/3xx is counted and printed: the figures of a
page with errors are not comparable.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
sys.path.insert(0, ROOT)

BARE_APP = '''
from flask import Flask

app = Flask(__name__)
BODY = "<!doctype html><title>bare</title>" + "x" * {size}


@app.get("/")
def page():
    return BODY
'''


def sh(*args, env=None):
    subprocess.run(args, check=True, cwd=ROOT, env=env)


def build_instance(path: str, agencies: int) -> None:
    env = dict(os.environ, PORTAL_INSTANCE_PATH=path)
    print(f"building {path} with {agencies} agencies (a few minutes) ...", flush=True)
    sh(f"{VENV_BIN}/portal", "db", "upgrade", env=env)
    sh(f"{VENV_BIN}/portal", "demo", "--agencies", str(agencies), env=env)
    sh(f"{VENV_BIN}/portal", "search", "rebuild", env=env)


def app_env(instance: str, args) -> dict:
    env = dict(os.environ, PORTAL_INSTANCE_PATH=instance,
               PORTAL_SECRET_KEY=secrets.token_urlsafe(40), PORTAL_RATELIMIT_ENABLED="0",
               PORTAL_WORKERS=str(args.workers), WEB_CONCURRENCY=str(args.workers))
    if args.page_cache is not None:
        env["PORTAL_PAGE_CACHE_SECONDS"] = str(args.page_cache)
    if args.cache_url:
        env["PORTAL_CACHE_URL"] = args.cache_url
    return env


def redis_cache_url(url: str = "redis://127.0.0.1:6379/15") -> str:
    """The shared cache production uses (Redis), emptied, when one answers here; else ""
    (each worker then keeps its own cache, lost whenever gunicorn recycles the worker)."""
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.flushdb()
    except Exception:  # noqa: BLE001 - no Redis: the per-process cache
        return ""
    return url


def start_gunicorn(module: str, port: int, env: dict, cwd: str) -> subprocess.Popen:
    prom = tempfile.mkdtemp(prefix="load-prom-")
    env = dict(env, PORTAL_BIND=f"127.0.0.1:{port}", PROMETHEUS_MULTIPROC_DIR=prom,
               PYTHONPATH=cwd)
    proc = subprocess.Popen(
        [f"{VENV_BIN}/gunicorn", "-c", os.path.join(ROOT, "deploy", "gunicorn.conf.py"),
         "--access-logfile", "/dev/null", module],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read()
            return proc
        except Exception:  # noqa: BLE001 - not up yet
            if proc.poll() is not None:
                message = proc.stderr.read().decode()
                raise SystemExit(f"gunicorn {module} exited: {message}") from None
            time.sleep(0.3)
    stop(proc)
    raise SystemExit(f"gunicorn {module} did not answer on port {port}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def wrk(url: str, args) -> dict:
    out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}",
                          f"-d{args.duration}s", "--latency", "--timeout", "30s",
                          # as every browser asks (the CSV download is then sent gzipped)
                          "-H", "Accept-Encoding: gzip, deflate, br", url],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale[p99.group(2)],
            "bad": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1) if errors else ""}


def pick_pages(instance: str) -> list[tuple[str, str]]:
    """(label, path) of the issue's table, drawn from the instance's data."""
    os.environ["PORTAL_INSTANCE_PATH"] = instance
    import sqlalchemy as sa

    from portal import create_app
    from portal.extensions import db
    from portal.register.models import Agency, CreditGrade

    app = create_app({"SEARCH_ENGINE": "none"}, from_cli=True)
    with app.app_context():
        # an agency with a grade and records: the median id among graded ones
        uscc = db.session.scalar(
            sa.select(Agency.uscc).join(CreditGrade, CreditGrade.agency_id == Agency.id)
            .order_by(Agency.id).offset(1000).limit(1))
    q = urllib.parse.quote("专利代理")
    return [("home /", "/"), ("agency profile", f"/agencies/{uscc}"),
            ("directory /agencies/", "/agencies/"), ("directory ?grade=A", "/agencies/?grade=A"),
            ("penalty list", "/penalties/"), ("search 专利代理", f"/search/?q={q}"),
            ("CSV download (penalty)", "/data/penalty.csv")]


def run_load(args, pages) -> None:
    env = app_env(args.instance, args)
    app = start_gunicorn("wsgi:app", args.port, env, ROOT)
    try:
        size = len(urllib.request.urlopen(f"http://127.0.0.1:{args.port}/", timeout=60).read())
        for _label, path in pages:  # warm: the first request after a start fills the caches
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}{path}", timeout=120).read()
            except urllib.error.HTTPError as err:
                raise SystemExit(f"{path}: {err}") from None
        bare_dir = tempfile.mkdtemp(prefix="load-bare-")
        with open(os.path.join(bare_dir, "bare_app.py"), "w") as f:
            f.write(BARE_APP.replace("{size}", str(max(0, size - 34))))
        results: dict[str, list[dict]] = {label: [] for label, _ in pages}
        results["bare page"] = []
        bare = start_gunicorn("bare_app:app", args.port + 1, env, bare_dir)
        try:
            for run in range(1, args.runs + 1):
                results["bare page"].append(wrk(f"http://127.0.0.1:{args.port + 1}/", args))
                for label, path in pages:
                    results[label].append(wrk(f"http://127.0.0.1:{args.port}{path}", args))
                print(f"run {run} done", flush=True)
        finally:
            stop(bare)
            shutil.rmtree(bare_dir, ignore_errors=True)
    finally:
        stop(app)
    report(results, size, args)


def report(results: dict, size: int, args) -> None:
    bare = results["bare page"]
    print(f"\ngunicorn -w {args.workers} -k sync, wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration}s, {args.runs} run(s), page cache {args.page_cache} s, "
          f"shared cache {args.cache_url or 'per process'}; "
          f"home page {size} bytes, the bare page the same size")
    print(f"{'page':28} {'req/s':>16} {'p99 ms':>16} {'share of bare':>16}  errors")
    for label, runs in results.items():
        rps = [r["rps"] for r in runs]
        p99 = [r["p99_ms"] for r in runs]
        share = [r["rps"] / b["rps"] * 100 for r, b in zip(runs, bare, strict=True)]
        bad = sum(r["bad"] for r in runs)
        errors = "; ".join(r["socket_errors"] for r in runs if r["socket_errors"])
        print(f"{label:28} {_range(rps, '.0f'):>16} {_range(p99, '.1f'):>16} "
              f"{_range(share, '.1f') + '%':>16}  {bad or ''} {errors}")


def _range(values, fmt) -> str:
    lo, hi = min(values), max(values)
    return format(lo, fmt) if format(lo, fmt) == format(hi, fmt) else \
        f"{format(lo, fmt)}–{format(hi, fmt)}"


def sql_profile(args, pages) -> None:
    """In-process: SQL statements and render time of each page, page cache off."""
    import sqlalchemy as sa

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SEARCH_ENGINE": os.environ.get("PORTAL_SEARCH_ENGINE", "tantivy"),
                      "PAGE_CACHE_SECONDS": 0, "RATELIMIT_ENABLED": False}, from_cli=True)
    statements: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda _c, _cur, stmt, *a: statements.append(stmt))
    client = app.test_client()
    print(f"{'page':28} {'SQL':>5} {'ms (median of 5)':>18}")
    for label, path in pages:
        if path.endswith(".csv"):
            continue
        client.get(path)
        times = []
        for _ in range(5):
            statements.clear()
            start = time.perf_counter()
            assert client.get(path).status_code == 200, path
            times.append((time.perf_counter() - start) * 1000)
        print(f"{label:28} {len(statements):>5} {sorted(times)[2]:>18.1f}")
        if args.verbose:
            for stmt in statements:
                print("    ", " ".join(stmt.split())[:160])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instance", default="/tmp/load100k")
    parser.add_argument("--agencies", type=int, default=100000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=5191)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cache-url", default=None,
                        help="PORTAL_CACHE_URL of the measured app (default: Redis on "
                             "127.0.0.1:6379/15 when it answers, as in production; "
                             "'simple://' for the per-process cache)")
    parser.add_argument("--page-cache", type=int, default=None,
                        help="PORTAL_PAGE_CACHE_SECONDS of the measured app (default: the app's "
                             "own; 0: render each page)")
    parser.add_argument("--sql", action="store_true",
                        help="print SQL statements and time per page instead (in-process)")
    parser.add_argument("-v", "--verbose", action="store_true", help="with --sql: the statements")
    args = parser.parse_args()
    if args.cache_url is None:
        args.cache_url = redis_cache_url()
    if not os.path.exists(os.path.join(args.instance, "portal.db")):
        build_instance(args.instance, args.agencies)
    if not args.sql and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    pages = pick_pages(args.instance)
    if args.sql:
        sql_profile(args, pages)
    else:
        run_load(args, pages)


if __name__ == "__main__":
    main()
