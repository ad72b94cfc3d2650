"""A request id on every request, its log lines and its response; JSON log lines on demand.

The id comes from the proxy's ``X-Request-ID`` header when it sends a sane one (nginx:
``proxy_set_header X-Request-ID $request_id``), else it is made here; the response carries it
back.  ``LOG_FORMAT=json`` writes one JSON object per line (time, level, logger, message,
request id, and the exception), which a log shipper reads without parsing; work done after
the request in the same thread (indexing after commit) logs under the same id.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time

from flask import g, has_request_context, request

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{8,64}")


def current_request_id() -> str | None:
    if has_request_context():
        return getattr(g, "request_id", None)
    return None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def init_app(app) -> None:
    @app.before_request
    def _assign_request_id():
        given = request.headers.get(HEADER, "")
        g.request_id = given if _SANE.fullmatch(given) else secrets.token_hex(8)

    @app.after_request
    def _return_request_id(response):
        rid = getattr(g, "request_id", None)
        if rid:
            response.headers[HEADER] = rid
        return response

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    # Development and the tests keep Python's and Flask's defaults; production (or
    # LOG_FORMAT=json anywhere) logs through one handler carrying the request id.
    if app.config["LOG_FORMAT"] == "json" or app.config["PORTAL_ENV"] == "production":
        root = logging.getLogger()
        if not any(getattr(h, "_portal", False) for h in root.handlers):
            handler._portal = True  # type: ignore[attr-defined]
            root.addHandler(handler)
