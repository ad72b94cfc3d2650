"""Staff session lifetime and revocation.

Flask keeps the session in a signed cookie.  What makes it revocable on the server is
the *session generation* (``StaffUser.session_version``): the Flask-Login user id in the
cookie is ``"<id>:<generation>"`` and the user loader refuses a cookie whose generation
is not the account's current one.  Sign-out, a password change or reset, a TOTP change
and deactivation bump the generation, so every copy of every earlier cookie of that
account stops working at once.

On top of that each signed-in session carries its sign-in time and last-activity time
(signed with the rest of the cookie) and ends after ``STAFF_IDLE_MINUTES`` without a
request or ``STAFF_SESSION_HOURS`` after sign-in, whichever comes first.

Why not Flask-Session (server-side sessions in Redis or the database)?  It would make
single-session revocation possible, but needs a store every request reads, a table or
Redis in every installation and a clean-up job; the generation column already exists and
revokes on exactly the events the portal needs, at the price that signing out ends the
account's sessions on every device, which is what staff expect from a shared office PC.
"""

from __future__ import annotations

import time

from flask import current_app, flash, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"

DEVICE_COOKIE = "staff_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
# Refresh the last-activity time at most this often (fewer Set-Cookie headers).
TOUCH_EVERY = 30


def start(now: float | None = None) -> None:
    """Call right after ``login_user``: the session's clocks start."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = int(now)
    session[SEEN_AT] = int(now)


def expired(now: float | None = None) -> bool:
    now = time.time() if now is None else now
    config = current_app.config
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(SEEN_AT)
    if not isinstance(signed_in, int) or not isinstance(seen, int):
        return True  # a session without clocks predates this code or is forged
    idle = int(config["STAFF_IDLE_MINUTES"]) * 60
    absolute = int(config["STAFF_SESSION_HOURS"]) * 3600
    return now - seen > idle or now - signed_in > absolute


def _has_session_cookie() -> bool:
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


def enforce_lifetime():
    """before_request: end a signed-in session that is idle or too old."""
    if request.endpoint == "static" or not _has_session_cookie():
        return None  # nobody is signed in without the cookie (no remember-me cookie here)
    if not current_user.is_authenticated:
        return None
    now = time.time()
    if expired(now):
        logout_user()
        session.clear()
        flash(_("登录已超时，请重新登录。"), "error")
        return None
    if now - session.get(SEEN_AT, 0) >= TOUCH_EVERY:
        session[SEEN_AT] = int(now)
    return None


# -- trusted devices (exempt from the per-account sign-in slow-down) ---------------------

def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="staff-device")


def is_trusted_device(email: str) -> bool:
    """True when this browser signed in to ``email``'s account before."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return False
    try:
        value = _device_serializer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return False
    return isinstance(value, str) and value == (email or "").strip().lower()


def remember_device(response, email: str):
    response.set_cookie(
        DEVICE_COOKIE, _device_serializer().dumps(email.strip().lower()),
        max_age=DEVICE_MAX_AGE, path="/staff", httponly=True,
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]), samesite="Strict")
    return response
