"""English throughout (issue 18): every page of the portal, public and staff, rendered in
English with demo data, shows no Chinese character and no full-width punctuation outside
elements marked ``lang="zh…"`` (names, facts, published texts and other data values).

The routes come from the application's URL map, so pages added later are covered without
editing this file; ``ARGS`` holds sample values for URL variables (by endpoint, then by
variable name).  A route whose variables no table fills gets a placeholder (and usually
renders the English 404 page, which is scanned too).
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from portal.extensions import db
from tests.factories.staff import PASSWORD, login, make_staff

CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                 r"\uff00-\uffef]")
FULL_WIDTH_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40"
                                    r"\uff5b-\uff65\u201c\u201d\u2018\u2019]")
ATTRIBUTES = ("title", "alt", "aria-label", "placeholder", "aria-description")
# Not read on the page: the tab title cannot mark a name's language (a known gap in the
# accessibility statement), <link>/<meta> are for machines.
SKIPPED_TAGS = ("script", "style", "title", "template", "link", "meta")
# URL prefixes that are not HTML pages (JSON, Atom, downloads, static files).
SHOWN = int(__import__('os').environ.get('SHOWN', 6))
NOT_PAGES = ("/static/", "/api/v1/", "/feeds/")


def _is_zh(tag) -> bool:
    return str(tag.get("lang", "")).lower().startswith("zh")


def foreign_text(markup: str, pattern: re.Pattern = CJK) -> list[str]:
    """Snippets of ``markup`` matching ``pattern`` outside ``lang="zh…"`` elements (text, and
    the attributes a person reads or hears)."""
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup.find_all(SKIPPED_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_zh):
        tag.decompose()
    found = []
    for tag in soup.find_all(True):
        for attribute in ATTRIBUTES:
            value = tag.get(attribute)
            if value and pattern.search(str(value)):
                found.append(f"<{tag.name} {attribute}={value!r}>")
    for text in soup.find_all(string=True):
        if pattern.search(text.replace("\u3000", " ")):  # an ideographic space indents
            parent = text.parent.name if text.parent else "?"
            found.append(f"<{parent}> {text.strip()[:80]!r}")
    return found


def test_the_scanner_skips_chinese_marked_content():
    markup = ('<html lang="en"><body><p>Name: <span lang="zh">太原</span></p>'
              '<p lang="zh-CN">全文</p><p title="提示">x</p><p>Grade：A</p></body></html>')
    found = foreign_text(markup)
    assert found == ["<p title='提示'>", "<p> 'Grade：A'"]
    assert foreign_text(markup, FULL_WIDTH_PUNCTUATION) == ["<p> 'Grade：A'"]


# -- the world --------------------------------------------------------------------------

@pytest.fixture
def world(app):
    """Demo data: a small demo register, its staff accounts and tips."""
    import datetime as dt

    from intake.demo import demo_code
    from intake.models import Attachment, Tip
    from portal.register.demo import build_demo
    from portal.register.models import CreditGrade, ListEntry, Penalty, SpotCheck

    with app.test_request_context():
        build_demo(agencies=60, anchor=dt.date(2026, 11, 21))  # with staff and 60 tips
        admin = make_staff("140000", "admin", email="admin18@example.org")
        db.session.commit()
        first = {model: db.session.scalar(db.select(model).where(model.status == "published")
                                          .order_by(model.id).limit(1))
                 for model in (Penalty, SpotCheck, CreditGrade, ListEntry)}
        removed = db.session.scalar(db.select(ListEntry).where(ListEntry.removed_on.is_not(None))
                                    .limit(1))
        withdrawn = db.session.scalar(db.select(Penalty).where(Penalty.status != "published")
                                      .limit(1))
        penalty = first[Penalty]
        attachment = db.session.scalar(db.select(Attachment).order_by(Attachment.id).limit(1))
        tip_with_file = db.session.get(Tip, attachment.tip_id) if attachment else None
        concluded = db.session.scalar(db.select(Tip).where(Tip.status == "concluded").limit(1))
        agency = (penalty.agency if penalty.agency is not None
                  else first[SpotCheck].agency)
        codes = {tip.id: demo_code(20261121, i) for i, tip in enumerate(
            db.session.scalars(db.select(Tip).order_by(Tip.id)))}
        return {
            "admin": admin.email,
            "uscc": agency.uscc,
            "decision_number": penalty.decision_number,
            "penalty_id": penalty.id,
            "withdrawn_decision": withdrawn.decision_number if withdrawn else None,
            "spot_check": first[SpotCheck].id,
            "credit_grade": first[CreditGrade].id,
            "list_entry": first[ListEntry].id,
            "removed_entry": removed.id if removed else None,
            "reference": (tip_with_file or concluded).reference,
            "attachment": attachment.id if attachment else 1,
            "concluded_code": codes.get(concluded.id) if concluded else None,
        }


def _args(world: dict) -> dict:
    """Sample URL variables: by endpoint first, then by variable name."""
    return {
        "by_endpoint": {
            "register.spot_check": {"record_id": world["spot_check"]},
            "register.credit_grade": {"record_id": world["credit_grade"]},
            "register.list_entry": {"record_id": world["list_entry"]},
            "staff.record_edit": {"kind": "penalty", "record_id": world["penalty_id"]},
            "staff.record_new": {"kind": "spot_check"},
            "staff.dashboard_csv": {"table": "status"},
            "register.download": {"kind": "penalty"},
        },
        "by_name": {
            "uscc": world["uscc"],
            "decision_number": world["decision_number"],
            "reference": world["reference"],
            "attachment_id": world["attachment"],
            "record_id": world["spot_check"],
            "kind": "penalty",
            "token": "no-such-token",
            "filename": "css/site.css",
        },
    }


def page_urls(app, world: dict) -> list[str]:
    """One URL per GET route of the URL map (HTML pages only), with sample variables."""
    args = _args(world)
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.rule.startswith(NOT_PAGES):
                continue
            values = dict(args["by_endpoint"].get(rule.endpoint, {}))
            for name in rule.arguments - values.keys():
                values[name] = args["by_name"].get(name, 1 if "int" in str(
                    rule._converters.get(name, "")).lower() else "x")  # noqa: SLF001
            urls.append(url_for(rule.endpoint, **values))
    return urls


def extra_urls(world: dict) -> list[str]:
    """States the URL map does not show: filters, unpublished records, error pages."""
    urls = ["/search/?q=专利", "/search/?q=专利&view=records", "/agencies/?status=revoked",
            "/no-such-page", "/staff/?bureau=140100"]
    if world["withdrawn_decision"]:
        urls.append(f"/penalties/{world['withdrawn_decision']}")
    if world["removed_entry"]:
        urls.append(f"/list-entries/{world['removed_entry']}")
    return urls


def _english(client, url: str) -> tuple[int, str, str]:
    response = client.get(url, headers={"Accept-Language": "en"})
    return (response.status_code, response.content_type or "",
            response.get_data(as_text=True))


def _scan(client, urls, problems: dict, pattern=CJK) -> int:
    scanned = 0
    for url in urls:
        status, content_type, body = _english(client, url)
        if status >= 500:
            problems[url] = [f"status {status}"]
            continue
        if not content_type.startswith("text/html") or status in (301, 302, 303):
            continue
        scanned += 1
        if "<html" in body and '<html lang="en"' not in body:
            problems[url] = ["the page is not in English (html lang)"]
            continue
        found = foreign_text(body, pattern)
        if found:
            problems[url] = found[:SHOWN]
    return scanned


def _report(problems: dict) -> str:
    return "\n".join(f"{url}\n    " + "\n    ".join(found) for url, found in problems.items())


def _english_client(app):
    client = app.test_client()
    client.get("/?lang=en")  # the language cookie
    return client


def test_every_public_page_is_english(app, world):
    client = _english_client(app)
    problems: dict = {}
    urls = page_urls(app, world) + extra_urls(world)
    scanned = _scan(client, [u for u in urls if not u.startswith("/staff")], problems)
    assert scanned > 20
    assert not problems, "Chinese outside lang=zh on English pages:\n" + _report(problems)


def test_every_staff_page_is_english(app, world):
    client = _english_client(app)
    assert login(client, world["admin"], PASSWORD).status_code == 302
    problems: dict = {}
    urls = [u for u in page_urls(app, world) + extra_urls(world) if u.startswith("/staff")]
    urls.append(f"/staff/tips/{world['reference']}")
    scanned = _scan(client, urls, problems)
    assert scanned > 8
    assert not problems, "Chinese outside lang=zh on English staff pages:\n" + _report(problems)


def test_the_tracking_timeline_is_english(app, world):
    client = _english_client(app)
    assert world["concluded_code"]
    response = client.post("/tips/track", data={"code": world["concluded_code"]})
    assert response.status_code == 303
    body = client.get("/tips/track").get_data(as_text=True)
    doc = BeautifulSoup(body, "html.parser")
    assert doc.select("ol li, .timeline li"), "the timeline is shown"
    assert "has received your tip" in body or "We have received your tip" in body
    assert not foreign_text(body), _report({"/tips/track": foreign_text(body)})


def test_forms_with_errors_are_english(app, world):
    """Validation messages (ours and the libraries' defaults) come through the catalogue."""
    client = _english_client(app)
    problems: dict = {}
    for url, data in (("/tips/new", {}), ("/tips/track", {"code": "x"}),
                      ("/staff/login", {"email": "nobody@example.org", "password": "x"})):
        response = client.post(url, data=data, headers={"Accept-Language": "en"})
        found = foreign_text(response.get_data(as_text=True))
        if found:
            problems[f"POST {url}"] = found[:6]
    assert not problems, _report(problems)


def test_signed_out_staff_url_flashes_in_the_page_language(app):
    client = app.test_client()
    response = client.get("/staff/", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Please log in" not in body and "请先登录" in body
    english = _english_client(app).get("/staff/", follow_redirects=True)
    assert "Please sign in to see this page." in english.get_data(as_text=True)
