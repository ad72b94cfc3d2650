"""/healthz, /readyz, /metrics (see the package docstring)."""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, jsonify, request

from . import health, metrics

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/readyz")
def readyz():
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ready, report = health.readiness(app)
    response = jsonify(status="ready" if ready else "not ready", **report)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics_view():
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(404)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    body, content_type = metrics.exposition(app)
    return body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"}
