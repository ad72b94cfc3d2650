"""Route-wide checks: every route is classified (tests/security/routes.py), visitors get
exactly what the class says, every POST needs the CSRF token, and every response carries
the security headers (Cache-Control: no-store on staff and reporter pages)."""

from __future__ import annotations

import pytest

from tests.factories.staff import login, make_staff

from .routes import (
    CSRF_EXEMPT,
    PUBLIC,
    REPORTER,
    ROUTES,
    SAMPLE_ARGS,
    SIGN_IN,
    STAFF,
    STATIC,
    TOKEN,
)

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _routes(app):
    """(endpoint, method, sample URL) of every route."""
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        args = {name: _sample_value(rule, name) for name in rule.arguments}
        args.update(SAMPLE_ARGS.get(rule.endpoint, {}))
        url = adapter.build(rule.endpoint, args)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def _sample_value(rule, name: str) -> str:
    """"1" fits every converter but ``any(...)``, which gets its first choice."""
    from werkzeug.routing import AnyConverter

    converter = rule._converters.get(name)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "1"


def test_every_route_is_classified(app):
    found = {(endpoint, method) for endpoint, method, _url in _routes(app)}
    unlisted = sorted(found - set(ROUTES))
    stale = sorted(set(ROUTES) - found)
    assert not unlisted, ("routes missing from tests/security/routes.py: "
                          + ", ".join(f"{m} {e}" for e, m in unlisted))
    assert not stale, "routes listed but gone: " + ", ".join(f"{m} {e}" for e, m in stale)


def test_visitors_get_what_the_class_says(app):
    visitor = app.test_client()
    wrong = []
    for endpoint, method, url in _routes(app):
        kind = ROUTES.get((endpoint, method))
        resp = visitor.open(url, method=method)
        to_login = "/staff/login" in resp.headers.get("Location", "")
        if kind == STAFF and not to_login:
            wrong.append(f"{method} {url}: {resp.status_code}, not sent to sign in")
        if kind in (PUBLIC, REPORTER, TOKEN, STATIC) and to_login or resp.status_code in (401, 403,
                                                                                     500):
            wrong.append(f"{method} {url}: {resp.status_code} for a {kind} route")
    assert wrong == [], "\n".join(wrong)


def test_every_post_needs_the_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    visitor = app.test_client()
    posts = [(e, url) for e, method, url in _routes(app) if method == "POST"]
    assert len(posts) > 15
    for endpoint, url in posts:
        resp = visitor.post(url, data={"x": "1"})
        if (endpoint, "POST") in CSRF_EXEMPT:
            assert resp.status_code != 400, f"{endpoint} is listed as exempt but checks CSRF"
        else:
            assert resp.status_code == 400, (
                f"POST {url} ({endpoint}) without a token: {resp.status_code}")


def _check_headers(resp, url, *, private: bool) -> list[str]:
    problems = []
    for name, value in SECURITY_HEADERS.items():
        if resp.headers.get(name) != value:
            problems.append(f"{url}: {name}={resp.headers.get(name)!r}")
    csp = resp.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "object-src 'none'"):
        if directive not in csp:
            problems.append(f"{url}: CSP lacks {directive}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"{url}: CSP allows unsafe-*")
    if private and "no-store" not in resp.headers.get("Cache-Control", ""):
        problems.append(f"{url}: cacheable ({resp.headers.get('Cache-Control')!r})")
    return problems


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "admin"])
def test_security_headers_on_every_route(app, signed_in):
    """GET every route (as a visitor and as the provincial administrator, who reaches
    every staff page); also the error pages the sample URLs run into."""
    client = app.test_client()
    if signed_in:
        with app.app_context():
            make_staff("140000", "admin", email="admin@example.org")
        assert login(client, "admin@example.org").status_code == 302
    problems = []
    for endpoint, method, url in _routes(app):
        resp = client.open(url, method=method)
        kind = ROUTES.get((endpoint, method))
        problems += _check_headers(resp, f"{method} {url}",
                                   private=kind in (STAFF, SIGN_IN, REPORTER, TOKEN))
    assert problems == [], "\n".join(problems)


def test_hsts_only_in_production_over_https(app):
    plain = app.test_client().get("/")
    assert "Strict-Transport-Security" not in plain.headers
    app.config["PORTAL_ENV"] = "production"  # read at start-up: a new app below
    from portal import create_app

    prod = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY",
                                                       "INSTANCE_PATH", "SEARCH_INDEX_DIR",
                                                       "UPLOAD_DIR")},
                       "PORTAL_ENV": "production", "SEARCH_ENGINE": "none",
                       "DATA_KEY": "A" * 43 + "="})
    resp = prod.test_client().get("/", base_url="https://portal.example")
    assert "max-age=" in resp.headers["Strict-Transport-Security"]
    set_cookie = " ".join(prod.test_client().get(
        "/?lang=en", base_url="https://portal.example").headers.getlist("Set-Cookie"))
    assert "Secure" in set_cookie


def test_public_pages_stay_cacheable(client):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
