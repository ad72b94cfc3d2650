"""Site-wide template context: demo-data banner, languages, helpers."""

from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import get_locale

from .extensions import db
from .htmx import add_vary
from .register import vocab
from .timeutil import to_china

DEMO_KEY = "demo_data"


def is_demo_site() -> bool:
    from .register.models import SiteMeta

    try:
        meta = db.session.get(SiteMeta, DEMO_KEY)
    except Exception:  # noqa: BLE001 - before migrations ran, the page still renders
        db.session.rollback()
        return False
    return bool(meta and meta.value == "1")


def lang_url(lang: str) -> str:
    args = dict(request.view_args or {})
    args.update(request.args.to_dict())
    args["lang"] = lang
    try:
        return url_for(request.endpoint, **args) if request.endpoint else f"?lang={lang}"
    except Exception:  # noqa: BLE001
        return f"?lang={lang}"


# Punctuation written between translated pieces in templates, per language.
PUNCTUATION = {
    "zh": {"colon": "：", "lparen": "（", "rparen": "）", "enum": "、", "semi": "；",
           "comma": "，"},
    "en": {"colon": ": ", "lparen": " (", "rparen": ")", "enum": ", ", "semi": "; ",
           "comma": ", "},
}


class _Punctuation:
    """``punct.colon`` and friends in the current request's language.  A Jinja global (not a
    context variable) so that macros imported without context see it too."""

    def __getattr__(self, name: str) -> str:
        return PUNCTUATION["zh" if str(get_locale()).startswith("zh") else "en"][name]


def init_app(app):
    app.after_request(add_vary)
    app.jinja_env.globals["punct"] = _Punctuation()

    @app.context_processor
    def inject_site():
        return {
            "demo_site": is_demo_site(),
            "current_locale": str(get_locale()),
            "lang_url": lang_url,
            "vocab": vocab,
            "languages": current_app.config["LANGUAGES"],
        }

    @app.template_filter("cn_datetime")
    def cn_datetime(value, fmt="%Y-%m-%d %H:%M"):
        value = to_china(value)
        return value.strftime(fmt) if value else ""

    @app.template_filter("division_name")
    def division_name(code):
        from .register.divisions import path_name

        return path_name(code)

    app.add_template_filter(vocab.label, "vocab")

    @app.template_filter("cn_date")
    def cn_date(value):
        return value.strftime("%Y-%m-%d") if value else ""
