"""Site-wide template context (demo-data banner, languages, helpers) and the pages that make
the portal an official site: privacy policy, accessibility statement, ``robots.txt``,
``sitemap.xml`` (an index of streamed parts, each within the protocol's 50,000 URLs) and the
icons (blueprint "site")."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from markupsafe import Markup, escape

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


CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def zh(value) -> Markup | str:
    """A data value (a name, a published text) marked as Chinese: ``{{ agency.name|zh }}``
    is ``<span lang="zh">…</span>`` when it holds Chinese characters, so that screen readers
    pronounce it in Chinese on English pages.  For text content only, never in attributes."""
    if value is None:
        return ""
    text = value.striptags() if isinstance(value, Markup) else str(value)  # e.g. highlighted
    if not CJK.search(text):
        return escape(value)
    return Markup('<span lang="zh">%s</span>') % value


def site_marks() -> dict:
    """The official-site marks shown in the footer and the policies (from the settings)."""
    config = current_app.config
    psb = config.get("PSB_NUMBER") or ""
    return {
        "owner": config.get("SITE_OWNER"),
        "operator": config.get("SITE_OPERATOR"),
        "icp": config.get("ICP_NUMBER"),
        "psb": psb,
        "psb_code": "".join(ch for ch in psb if ch.isdigit()),
        "address": config.get("CONTACT_ADDRESS"),
        "phone": config.get("CONTACT_PHONE"),
        "email": config.get("CONTACT_EMAIL"),
    }


class _Punctuation:
    """``punct.colon`` and friends in the current request's language.  A Jinja global (not a
    context variable) so that macros imported without context see it too."""

    def __getattr__(self, name: str) -> str:
        return PUNCTUATION["zh" if str(get_locale()).startswith("zh") else "en"][name]


bp = Blueprint("site", __name__)

# Prefixes that search engines must not index (staff, tips, reporters' and subscribers' pages).
ROBOTS_DISALLOW = ("/staff/", "/tips/", "/check", "/alerts/", "/search/suggest")
SITEMAP_URLS_PER_PART = 50000  # the sitemap protocol's limit per file
SITEMAP_BATCH = 2000


@bp.get("/privacy")
def privacy():
    return render_template("site/privacy.html",
                           retention_years=current_app.config.get("TIP_RETENTION_YEARS", 5),
                           receipt_minutes=current_app.config["TIP_RECEIPT_WINDOW_MINUTES"],
                           idle_minutes=current_app.config["STAFF_IDLE_MINUTES"])


@bp.get("/accessibility")
def accessibility():
    return render_template("site/accessibility.html")


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /",
             "", f"Sitemap: {url_for('site.sitemap', _external=True)}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="icons/favicon.ico"), 301)


def _sitemap_sections() -> dict[str, tuple]:
    """section -> (model, URL attribute, endpoint, URL argument, condition) of the public
    pages listed in the sitemap: agencies, then every kind of public record."""
    from .register import kinds
    from .register.models import Agency

    sections = {"agencies": (Agency, "uscc", "register.agency", "uscc", None)}
    for kind in kinds.KINDS:
        sections[kind.key] = (kind.model, kind.url.field,
                              "register." + kind.url.detail_endpoint, kind.url.arg,
                              kind.model.public_filter())
    return sections


def _section_count(section: tuple) -> int:
    model, _field, _endpoint, _arg, condition = section
    query = db.select(db.func.count()).select_from(model)
    if condition is not None:
        query = query.where(condition)
    return db.session.scalar(query) or 0


STATIC_PAGES = ("register.home", "register.agencies", "register.penalties",
                "register.spot_checks", "register.credit_grades", "register.list_entries",
                "register.bureaus", "register.open_data", "site.privacy", "site.accessibility")


def _xml_stream(head: str, items, tail: str) -> Response:
    """A streamed XML document; ``items`` is called inside an application context of its own
    when the body is read (nothing runs if it never is)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def generate():
        yield '<?xml version="1.0" encoding="UTF-8"?>\n' + head
        with app.app_context():
            yield from items()
        yield tail

    return Response(generate(), mimetype="application/xml")


def _url_maker(endpoint: str, arg: str):
    """A fast absolute-URL builder for one endpoint with one argument (built once per request:
    the streamed body runs outside it)."""
    marker = "987654321"  # fits string and integer converters
    pattern = url_for(endpoint, **{arg: marker}, _external=True)
    return lambda value: escape(pattern.replace(marker, quote(str(value), safe="")))


@bp.get("/sitemap.xml")
def sitemap():
    """The sitemap index: the static pages' part, then each section in parts."""
    pattern = url_for("site.sitemap_part", section="__section__", page=999999, _external=True)

    def parts():
        counts = {"pages": 1} | {name: _section_count(section)
                                 for name, section in _sitemap_sections().items()}
        for name, count in counts.items():
            for number in range(1, math.ceil(count / SITEMAP_URLS_PER_PART) + 1):
                loc = pattern.replace("__section__", name).replace("999999", str(number))
                yield f"<sitemap><loc>{escape(loc)}</loc></sitemap>\n"

    return _xml_stream('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n',
                       parts, "</sitemapindex>\n")


def _urls(section: tuple, page: int, url) -> Iterator[str]:
    model, field, _endpoint, _arg, condition = section
    query = db.select(getattr(model, field), model.updated_at).order_by(model.id)
    if condition is not None:
        query = query.where(condition)
    query = query.offset((page - 1) * SITEMAP_URLS_PER_PART).limit(SITEMAP_URLS_PER_PART)
    rows = db.session.execute(query.execution_options(yield_per=SITEMAP_BATCH))
    for value, updated in rows:
        lastmod = f"<lastmod>{updated:%Y-%m-%d}</lastmod>" if updated else ""
        yield f"<url><loc>{url(value)}</loc>{lastmod}</url>\n"


@bp.get("/sitemaps/<section>-<int:page>.xml")
def sitemap_part(section: str, page: int):
    if section == "pages":
        if page != 1:
            abort(404)
        locs = [escape(url_for(e, _external=True)) for e in STATIC_PAGES]

        def items():
            return (f"<url><loc>{loc}</loc></url>\n" for loc in locs)
    else:
        sections = _sitemap_sections()
        if section not in sections or page < 1:
            abort(404)
        if (page - 1) * SITEMAP_URLS_PER_PART >= max(_section_count(sections[section]), 1):
            abort(404)
        chosen = sections[section]
        url = _url_maker(chosen[2], chosen[3])

        def items():
            return _urls(_sitemap_sections()[section], page, url)
    return _xml_stream('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n',
                       items, "</urlset>\n")


def init_app(app):
    app.register_blueprint(bp)
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
            "site": site_marks(),
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
    app.add_template_filter(zh, "zh")
    # ``{% if value is chinese %} lang="zh"{% endif %}``: where a span cannot go (attributes
    # of an <option>, SVG <text>).
    app.jinja_env.tests["chinese"] = lambda value: bool(value) and bool(CJK.search(str(value)))

    @app.template_filter("cn_date")
    def cn_date(value):
        return value.strftime("%Y-%m-%d") if value else ""
