"""gunicorn settings for the portal (``gunicorn -c deploy/gunicorn.conf.py wsgi:app``).

Sync workers, one per core plus one: the worker class measured and proven on PostgreSQL
(threaded workers are not used; see docs/deploy.md).  Every value can be overridden by the
environment variables named below.
"""

import multiprocessing
import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PORTAL_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "sync"
# A request that takes longer than this is killed (the largest open-data downloads are
# files written once per change, so nothing legitimate comes near it).
timeout = int(os.environ.get("PORTAL_WORKER_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (bounded memory growth), staggered.
max_requests = 5000
max_requests_jitter = 500
# Load the app once in the master: faster start, shared pages of memory.
preload_app = True
# The access log carries the request id the portal assigns or takes from nginx.
accesslog = "-"
access_log_format = ('%(h)s "%(r)s" %(s)s %(b)s %(M)sms '
                     'rid=%({x-request-id}o)s ua="%(a)s"')
errorlog = "-"
forwarded_allow_ips = os.environ.get("PORTAL_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    # Several workers share Prometheus counters through files (portal.ops.metrics).
    directory = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                      "/run/portal/prometheus")
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
