"""Start-up checks and HTTP hardening: secret key, security headers, caching, proxies,
instance file modes, and the spreadsheet-formula guard for exports.

Security headers come from Flask-Talisman (maintained, one place for CSP, frame
options, Referrer-Policy, HSTS, nosniff and the Permissions-Policy).  Talisman says
nothing about caching, so one ``after_request`` hook here adds ``Cache-Control: no-store``
to the pages that show personal data: every staff page and the reporter's tracking pages.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable

from flask import Flask, abort, request

from . import errors
from .config import DEFAULT_SECRET_KEY

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32

# Strict: scripts, styles, images, fonts and XHR from this origin only.  No inline
# script or style (templates carry none; htmx's indicator style is switched off in
# base.html and lives in site.css), no plugins, no framing, forms post to this origin.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Endpoints (blueprint prefixes or exact names) whose responses must never be stored by
# a browser or a proxy: staff pages (reporter identity) and the reporter's own pages.
NO_STORE_BLUEPRINTS = ("staff", "auth")
NO_STORE_ENDPOINTS = ("intake.track", "intake.reply", "intake.leave", "intake.receipt",
                      "intake.notification_settings",
                      "intake.new_tip",
                      # pages opened by a secret link from a mail (alert subscriptions)
                      "alerts.confirm", "alerts.unsubscribe_page", "alerts.unsubscribe")


class InsecureConfigError(errors.PortalError):
    """Raised when the app would start with an unsafe configuration."""

    status = 500


# -- start-up checks ------------------------------------------------------------------

def check_secret_key(app: Flask, *, dev_server: bool) -> None:
    """Refuse a missing, default or short key, except in the test suite and on the
    development server (``portal run`` / ``flask run``) outside production."""
    key = app.config.get("SECRET_KEY") or ""
    weak = key == DEFAULT_SECRET_KEY or len(key) < MIN_SECRET_LENGTH
    if not weak:
        return
    production = app.config["PORTAL_ENV"] == "production"
    if not production and (app.config.get("TESTING") or dev_server):
        log.warning("Using the development secret key: sessions can be forged. "
                    "Set PORTAL_SECRET_KEY (see `portal secret`) outside development.")
        return
    raise InsecureConfigError(
        "PORTAL_SECRET_KEY must be set to a random value of at least "
        f"{MIN_SECRET_LENGTH} characters; only the development server and the test suite "
        "accept the built-in development key.  Create one with `portal secret`.")


def warn_per_worker_limits(app: Flask) -> None:
    """memory:// limits live in one process: with several workers each counts apart."""
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
    if uri.startswith("memory://") and int(app.config.get("WORKERS") or 1) > 1:
        log.warning(
            "RATELIMIT_STORAGE_URI is memory:// with %s workers: every worker counts on its "
            "own, so the limits are %s times looser.  Use redis://… "
            "(PORTAL_RATELIMIT_STORAGE_URI).", app.config["WORKERS"], app.config["WORKERS"])


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client address, scheme and
    host from their X-Forwarded-* headers (rate limits, lockout and HSTS need them)."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


# -- instance files ------------------------------------------------------------------

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def make_private_dirs(paths: Iterable[str]) -> None:
    """Create the directories (mode 0700) and tighten them if they exist."""
    for path in paths:
        os.makedirs(path, mode=PRIVATE_DIR, exist_ok=True)
        _chmod(path, PRIVATE_DIR)


def make_private_file(path: str) -> None:
    """Create ``path`` empty with mode 0600 if missing, else tighten it to 0600."""
    if not os.path.exists(path):
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE)
        os.close(fd)
    _chmod(path, PRIVATE_FILE)


def _chmod(path: str, mode: int) -> None:
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != mode:
            os.chmod(path, mode)
    except OSError as exc:  # not our file (e.g. a mounted volume): say so, go on
        log.warning("cannot set mode %o on %s: %s", mode, path, exc)


def sqlite_path(uri: str) -> str | None:
    """The file of a sqlite:/// URL, or None (other databases, in-memory)."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix) or uri == prefix or ":memory:" in uri:
        return None
    return uri[len(prefix):].split("?", 1)[0]


def private_umask() -> None:
    """Files the process creates later (SQLite journals, index segments, uploads) are
    private too: group and others get no bits."""
    os.umask(0o077)


# -- headers -------------------------------------------------------------------------

def init_headers(app: Flask) -> None:
    from flask_talisman import Talisman

    production = app.config["PORTAL_ENV"] == "production"
    Talisman(
        app,
        # HTTPS is the proxy's job; redirecting here would loop behind a plain-HTTP proxy.
        force_https=False,
        # Sent only on HTTPS requests (Talisman checks), so only in production.
        strict_transport_security=production,
        strict_transport_security_max_age=int(app.config["HSTS_MAX_AGE"]),
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()",
                            "browsing-topics": "()"},
        # The cookie flags stay as the portal's settings say (Talisman would force Secure
        # on plain-HTTP development too).
        session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        x_content_type_options=True,
    )
    app.after_request(no_store_private_pages)
    app.before_request(refuse_nul_bytes)


def refuse_nul_bytes() -> None:
    """400 for a NUL byte in the path, the query or a form field: no text a person types
    holds one, and PostgreSQL refuses it in any text parameter (a 500 otherwise).  The
    search pages are left out: they normalize every query themselves (control characters
    become spaces) and promise a normal answer for any input."""
    if request.blueprint == "search":
        return
    fields = [request.args]
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded",
                                                          "multipart/form-data"):
        fields.append(request.form)
    texts = [request.path]
    for multidict in fields:
        for key, value in multidict.items(multi=True):
            texts += (key, value)
    if any("\x00" in text for text in texts):
        abort(400)


def is_private_page() -> bool:
    endpoint = request.endpoint or ""
    return (request.blueprint in NO_STORE_BLUEPRINTS or endpoint in NO_STORE_ENDPOINTS
            or request.path.startswith("/staff"))


def no_store_private_pages(response):
    if is_private_page():
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


# -- exports ---------------------------------------------------------------------------

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value):
    """A cell safe for spreadsheets: text that a spreadsheet would read as a formula
    (=, +, -, @, tab, CR first) gets a leading apostrophe (OWASP "CSV injection").
    Numbers, dates and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def neutralize_row(row: Iterable) -> list:
    return [neutralize_cell(value) for value in row]
