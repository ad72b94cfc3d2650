"""Prometheus metrics: requests by route and status, latency per route, and at scrape time
the tips filed, the outbox (waiting, dead) and the search index's lag behind the change log.

Several gunicorn workers: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory writable by
the workers (``deploy/gunicorn.conf.py`` does); each worker writes its counters there and a
scrape of any worker adds them up.  Without it (one process) the counters live in memory.
"""

from __future__ import annotations

import os
import time

from flask import g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("portal_requests_total", "HTTP requests answered, by route and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("portal_request_duration_seconds", "Time to answer a request, by route.",
                    ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


def init_app(app) -> None:
    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = getattr(g, "metrics_started", None)
        # The route's name, never the path: one series per route, whatever URLs are tried.
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response


class _StateCollector:
    """Figures read from the database when scraped (never stored in a worker)."""

    def __init__(self, app) -> None:
        self.app = app

    def collect(self):
        from . import health

        state = health.state(self.app)
        for name, doc, value in (
            ("portal_tips_filed", "Tips filed, all time.", state.get("tips")),
            ("portal_outbox_waiting", "Mails waiting in the outbox.", state.get("outbox_waiting")),
            ("portal_outbox_dead", "Mails set aside as dead after their attempts.",
             state.get("outbox_dead")),
            ("portal_search_index_lag_seconds",
             "Age of the oldest change this host's search index has not applied.",
             state.get("index_lag_seconds")),
        ):
            if value is not None:
                yield GaugeMetricFamily(name, doc, value=float(value))


def exposition(app) -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry)
    state = CollectorRegistry()
    state.register(_StateCollector(app))
    return output + generate_latest(state), CONTENT_TYPE_LATEST
