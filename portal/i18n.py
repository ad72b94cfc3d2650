"""Locale selection: ?lang= sets a cookie; otherwise the cookie, then zh_CN."""

from functools import cache

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

LANG_COOKIE = "lang"

# The libraries' own messages, through our catalogue (Flask-Login's defaults are English).
LOGIN_MESSAGE = _l("请先登录，再访问此页面。")
REFRESH_MESSAGE = _l("为保护账号安全，请重新登录后继续。")


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def select_locale() -> Locale:
    """A parsed Locale (parsed once per name: Flask-Babel passes an instance through)."""
    config = current_app.config
    if not has_request_context():  # CLI, demo builders: the default (Chinese)
        return _locale(config["BABEL_DEFAULT_LOCALE"])
    wanted = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if wanted in config["LANGUAGES"]:
        return _locale(wanted)
    return _locale(config["BABEL_DEFAULT_LOCALE"])


def remember_locale(response):
    wanted = request.args.get("lang")
    if wanted in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, wanted, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
    return response


def gettext_anywhere(message: str, **values) -> str:
    """gettext in a request; the Chinese source text elsewhere (CLI, demo builders)."""
    if has_request_context():
        return gettext(message, **values)
    return message % values if values else message
