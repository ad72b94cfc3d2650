"""htmx request helpers: one view answers with the page or with its fragment."""

from flask import request


def is_partial() -> bool:
    """True for an htmx request that wants a fragment (not boosted, not a history restore)."""
    headers = request.headers
    return (
        "HX-Request" in headers
        and "HX-Boosted" not in headers
        and "HX-History-Restore-Request" not in headers
    )


def add_vary(response):
    vary = response.headers.get("Vary", "")
    if "HX-Request" not in vary:
        response.headers["Vary"] = ", ".join(v for v in (vary, "HX-Request") if v)
    return response
