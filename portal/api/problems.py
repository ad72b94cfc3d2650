"""RFC 9457 problem details: every error of the API is ``application/problem+json``."""

from __future__ import annotations

from typing import Any

from flask import Response, json, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..errors import ERROR_MESSAGES, PortalError

PROBLEM_TYPE = "application/problem+json"


class ApiError(PortalError):
    """A request the API refuses: status, a message and (optionally) per-parameter errors."""

    def __init__(self, message: str = "", *, status: int = 400,
                 errors: dict[str, str] | None = None, **extra: Any):
        super().__init__(message, errors=errors, status=status)
        self.extra = extra


def problem(status: int, detail: str = "", *, errors: dict[str, str] | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    """A problem+json response (type about:blank, the HTTP title in the page's language)."""
    key = status if status in ERROR_MESSAGES else (500 if status >= 500 else 400)
    title = str(ERROR_MESSAGES[key][0]) if status != 410 else _("信息已停止公示")
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail or str(ERROR_MESSAGES[key][1]),
                            "instance": request.path}
    if errors:
        body["errors"] = {k: str(v) for k, v in errors.items()}
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        mimetype=PROBLEM_TYPE)
    response.headers.update(headers or {})
    return response


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    headers = dict(error.get_headers()) if status in (405, 429) else {}
    headers.pop("Content-Type", None)
    detail = ""
    if status == 429:
        detail = _("请求过于频繁，请在 Retry-After 指定的秒数后再试。")
        headers.setdefault("Retry-After", _retry_after(error))
    return problem(status, detail, headers=headers)


def _retry_after(error: HTTPException) -> str:
    """Seconds until the limit resets (Flask-Limiter's window), at least 1."""
    limit = getattr(error, "limit", None)
    seconds = 60
    if limit is not None:
        try:
            seconds = int(limit.limit.get_expiry())
        except (AttributeError, TypeError, ValueError):
            seconds = 60
    return str(max(1, seconds))


def from_portal_error(error: PortalError) -> Response:
    extra = getattr(error, "extra", {})
    return problem(error.status, error.message if not error.errors else _("参数有误"),
                   errors=error.errors or None, **extra)
