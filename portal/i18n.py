"""Locale selection: ?lang= sets a cookie; otherwise the cookie, then zh_CN."""

from flask import current_app, has_request_context, request

LANG_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, demo builders: the default (Chinese)
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    wanted = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if wanted in languages:
        return wanted
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_locale(response):
    wanted = request.args.get("lang")
    if wanted in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, wanted, max_age=365 * 24 * 3600, samesite="Lax")
    return response
