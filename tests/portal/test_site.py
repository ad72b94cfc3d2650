"""The marks of an official site (issue 18): footer, privacy policy, accessibility statement,
icons, robots.txt, sitemap.xml, error pages with a way on; vocabulary labels; tip-event
wording rendered in the reader's language and the migration that converts old events."""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from portal.extensions import db
from tests.factories.register import make_agency
from tests.helpers import expect_status, page

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_footer_shows_owner_filings_and_contact(app_config, _template_database):
    import shutil

    from portal import create_app

    if not app_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        shutil.copyfile(_template_database, app_config["SQLALCHEMY_DATABASE_URI"][10:])
    app = create_app({**app_config, "SITE_OWNER": "某某省市场监督管理局",
                      "SITE_OPERATOR": "某某信息中心", "ICP_NUMBER": "晋ICP备12345678号-1",
                      "PSB_NUMBER": "晋公网安备14010502000001号", "CONTACT_PHONE": "0351-1234567",
                      "CONTACT_EMAIL": "web@example.org", "CONTACT_ADDRESS": "太原市某路1号"})
    doc = page(app.test_client(), "/privacy?lang=en")
    footer = doc.select_one("footer")
    text = footer.get_text(" ")
    for value in ("某某省市场监督管理局", "某某信息中心", "晋ICP备12345678号-1", "0351-1234567",
                  "web@example.org", "太原市某路1号"):
        assert value in text, value
    assert footer.select_one('a[href="/privacy"]') and footer.select_one('a[href="/accessibility"]')
    icp = footer.find("a", string="晋ICP备12345678号-1")
    assert icp["href"] == "https://beian.miit.gov.cn/" and icp["lang"] == "zh"
    psb = footer.find("a", string="晋公网安备14010502000001号")
    assert psb["href"].endswith("code=14010502000001")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_default_footer_omits_unset_marks(client):
    footer = page(client, "/").select_one("footer")
    assert "ICP" not in footer.get_text() and footer.select_one('a[href="tel:12315"]')
    assert footer.select_one('a[href="/privacy"]') and footer.select_one('a[href="/accessibility"]')


def test_privacy_policy_says_what_the_portal_does(client, app):
    text = page(client, "/privacy").get_text()
    years = app.config.get("TIP_RETENTION_YEARS", 5)
    assert f"举报办结 {years} 年后" in text
    assert f"{app.config['TIP_RECEIPT_WINDOW_MINUTES']} 分钟" in text
    assert "加密保存" in text and "不使用统计分析或广告 Cookie" in text


def test_accessibility_statement(client):
    doc = page(client, "/accessibility")
    headings = [h.get_text() for h in doc.select("h2")]
    assert headings == ["遵循的标准", "如何测试", "已知的不足", "遇到障碍时"]
    assert "GB/T 37668-2019" in doc.get_text() and "axe-core" in doc.get_text()


def test_icons_are_served_and_linked(client):
    doc = page(client, "/")
    assert doc.select_one('link[rel="icon"][type="image/svg+xml"]')
    assert doc.select_one('link[rel="apple-touch-icon"]') and doc.select_one('link[rel="manifest"]')
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/static/icons/favicon.ico")
    icon = client.get("/static/icons/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    for name in ("icons/favicon.svg", "icons/apple-touch-icon.png", "icons/icon-192.png",
                 "icons/icon-512.png", "site.webmanifest"):
        expect_status(client.get(f"/static/{name}"), 200, name)


def test_robots_keeps_private_pages_out_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    for path in ("/staff/", "/tips/", "/check"):
        assert f"Disallow: {path}" in lines
    assert "Allow: /" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert not any(line in ("Disallow: /", "Disallow: /agencies/") for line in lines)


def _xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/xml"
    return ET.fromstring(response.get_data())


def test_sitemap_lists_agencies_and_public_records_only(app, client):
    from portal.register import services

    with app.test_request_context():
        agency = make_agency(division_code="140105")
        kept = services.publish_record("spot_check", {
            "agency_uscc": agency.uscc, "task_number": "SX-1", "task_name": "双随机抽查",
            "check_type": "不定向抽查", "completed_on": "2026-03-02", "result": "未发现问题",
            "published_on": "2026-03-05"}, bureau=agency.bureau)
        gone = services.publish_record("spot_check", {
            "agency_uscc": agency.uscc, "task_number": "SX-2", "task_name": "双随机抽查二",
            "check_type": "不定向抽查", "completed_on": "2026-03-02", "result": "未发现问题",
            "published_on": "2026-03-05"}, bureau=agency.bureau)
        services.withdraw_record(gone, "录入错误")
        db.session.commit()
        kept_id, gone_id, uscc = kept.id, gone.id, agency.uscc

    index = _xml(client, "/sitemap.xml")
    parts = [loc.text for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS)]
    assert "http://localhost/sitemaps/pages-1.xml" in parts
    assert "http://localhost/sitemaps/agencies-1.xml" in parts
    assert "http://localhost/sitemaps/spot_check-1.xml" in parts
    assert "http://localhost/sitemaps/penalty-1.xml" not in parts  # none published

    agencies = _xml(client, "/sitemaps/agencies-1.xml")
    urls = agencies.findall("s:url", SITEMAP_NS)
    assert [u.find("s:loc", SITEMAP_NS).text for u in urls] == [
        f"http://localhost/agencies/{uscc}"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", urls[0].find("s:lastmod", SITEMAP_NS).text)
    checks = [loc.text for loc in _xml(client, "/sitemaps/spot_check-1.xml")
              .findall("s:url/s:loc", SITEMAP_NS)]
    assert checks == [f"http://localhost/spot-checks/{kept_id}"]
    assert f"/spot-checks/{gone_id}" not in " ".join(checks)
    pages = [loc.text for loc in _xml(client, "/sitemaps/pages-1.xml")
             .findall("s:url/s:loc", SITEMAP_NS)]
    assert "http://localhost/" in pages and "http://localhost/privacy" in pages
    assert not any("/staff" in p or "/tips" in p for p in pages)
    assert not _xml(client, "/sitemaps/penalty-1.xml").findall("s:url", SITEMAP_NS)
    for missing in ("/sitemaps/agencies-2.xml",
                    "/sitemaps/nothing-1.xml", "/sitemaps/pages-2.xml"):
        assert client.get(missing).status_code == 404, missing


def test_sitemap_parts_hold_at_most_the_protocol_limit(app, client, monkeypatch):
    from portal import site

    monkeypatch.setattr(site, "SITEMAP_URLS_PER_PART", 2)
    with app.app_context():
        for i in range(5):
            make_agency(division_code="140105", name=f"太原测试{i}专利代理有限公司")
        db.session.commit()
    parts = [loc.text for loc in _xml(client, "/sitemap.xml").findall("s:sitemap/s:loc",
                                                                       SITEMAP_NS)]
    assert [p for p in parts if "agencies" in p] == [
        f"http://localhost/sitemaps/agencies-{n}.xml" for n in (1, 2, 3)]
    seen = []
    for n in (1, 2, 3):
        seen += [loc.text for loc in _xml(client, f"/sitemaps/agencies-{n}.xml")
                 .findall("s:url/s:loc", SITEMAP_NS)]
    assert len(seen) == len(set(seen)) == 5


def test_not_found_page_offers_search_and_the_register(client):
    doc = page(client, "/no-such-page?lang=en", status=404)
    form = doc.select_one('form[role="search"]')
    assert form["action"] == "/search/" and form.select_one('input[name="q"]')
    assert form.select_one("label").get_text()
    links = {a["href"] for a in doc.select(".error-find a")}
    assert {"/agencies/", "/penalties/", "/"} <= links


def test_demo_banner_is_inside_a_landmark(app, client):
    from portal.register.models import SiteMeta
    from portal.site import DEMO_KEY

    with app.app_context():
        db.session.merge(SiteMeta(key=DEMO_KEY, value="1"))
        db.session.commit()
    doc = page(client, "/")
    banner = doc.select_one(".demo-banner")
    assert banner is not None and banner.find_parent("header") is not None


# -- vocabularies ---------------------------------------------------------------------

def test_every_vocabulary_value_has_a_label(app):
    from intake.categories import CATEGORIES
    from portal.register import vocab

    tables = (vocab.SPOT_CHECK_TYPES, vocab.SPOT_CHECK_RESULTS, vocab.PENALTY_KINDS,
              vocab.VIOLATION_TYPES, vocab.LIST_INCLUSION_REASONS, vocab.LIST_REMOVAL_REASONS,
              tuple(CATEGORIES), tuple(vocab.AGENCY_KINDS), tuple(vocab.AGENCY_STATUSES),
              tuple(vocab.LIST_KINDS), tuple(vocab.RECORD_STATUSES))
    with app.test_request_context("/?lang=zh_CN"):
        for table in tables:
            for value in table:
                assert vocab._lookup(value) is not None, value  # noqa: SLF001
        assert vocab.label("未知的值") == "未知的值" and vocab.label(None) == ""
        assert vocab.label("罚款、没收违法所得") == "罚款、没收违法所得"
        assert vocab.label("practising") == "执业"


def test_labels_follow_the_reader_language(app):
    from portal.register import vocab

    with app.test_request_context("/?lang=en"):
        # English comes from the catalogue; a label never falls back to a different value.
        for value in vocab.PENALTY_KINDS + vocab.SPOT_CHECK_TYPES:
            assert vocab.label(value) in (value, str(vocab._lookup(value)))  # noqa: SLF001
        joined = vocab.label("罚款、没收违法所得")
        assert "、" not in joined and joined.count(", ") == 1


# -- tip events -----------------------------------------------------------------------

@pytest.fixture
def concluded_tip(app):
    from intake import workflow
    from tests.factories.intake import make_tip
    from tests.factories.staff import make_staff

    with app.test_request_context():
        tip = make_tip().tip
        lead = make_staff(tip.bureau.code, "lead")
        workflow.accept(tip, lead)
        workflow.request_info(tip, lead, "请提供合同。")
        workflow.reporter_reply(tip, "合同见附件", [])
        workflow.conclude(tip, lead, "not_substantiated", "经核查未发现问题。")
        db.session.commit()
        return tip.id


def test_events_store_keys_and_person_written_words_only(app, concluded_tip):
    from intake import event_text, workflow
    from intake.models import Tip

    with app.test_request_context("/?lang=zh_CN"):
        tip = db.session.get(Tip, concluded_tip)
        events = {e.kind: e for e in tip.events}
        assert events["submitted"].public_text is None
        assert events["routed"].public_text is None
        assert events["routed"].data["bureau"] == tip.bureau.name
        assert events["accepted"].public_text is None
        assert events["info_requested"].public_text == "请提供合同。"
        assert events["reporter_replied"].public_text is None  # the reporter's words: internal
        assert events["concluded"].public_text == "经核查未发现问题。"
        assert [e.kind for e in workflow.public_events(tip)] == [
            "submitted", "routed", "accepted", "info_requested", "reporter_replied", "concluded"]
        zh = event_text.render(events["concluded"])
        assert f'<span lang="zh">{tip.bureau.name}</span>已办结您的举报' in zh
        assert "处理结果：举报不属实。" in zh and "经核查未发现问题。" in zh
    with app.test_request_context("/?lang=en"):
        tip = db.session.get(Tip, concluded_tip)
        for event in workflow.public_events(tip):
            shown = event_text.sentence(event)
            assert shown, event.kind
            if "%(bureau)s" in str(event_text.PUBLIC_TEXTS[event.kind]):
                assert f'<span lang="zh">{tip.bureau.name}</span>' in shown


def _migration():
    path = next(Path("portal/migrations/versions").glob("*_a18e7c2d4b01_tip_event_keys.py"))
    spec = importlib.util.spec_from_file_location("tip_event_keys", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("kind", "text", "data", "expected_text", "expected_data"), [
    ("submitted", "我们已收到您的举报。", None, None, {}),
    ("routed", "您的举报已分送太原市小店区市场监督管理局办理。", {"rule": "division"}, None,
     {"rule": "division", "bureau": "太原市小店区市场监督管理局"}),
    ("accepted", "大同市市场监督管理局已受理您的举报，正在核查。", None, None,
     {"bureau": "大同市市场监督管理局"}),
    ("info_requested", "大同市市场监督管理局请您补充材料：请提供合同。\n谢谢", {"question": "q"},
     "请提供合同。\n谢谢", {"question": "q", "bureau": "大同市市场监督管理局"}),
    ("concluded", "大同市市场监督管理局已办结您的举报。处理结果：举报不属实。经核查未发现问题。",
     {"outcome": "not_substantiated"}, "经核查未发现问题。",
     {"outcome": "not_substantiated", "bureau": "大同市市场监督管理局"}),
    ("concluded", "X局已办结您的举报。处理结果：举报属实。答复", {"outcome": "substantiated",
                                                      "public_reply": "原答复"},
     "原答复", {"outcome": "substantiated", "public_reply": "原答复", "bureau": "X局"}),
    ("deadline_extended", "因情况复杂，核查期限已依法延长。", {"from": "a"}, None, {"from": "a"}),
    ("accepted", "一段人写的文字", None, "一段人写的文字", None),  # unknown: kept
])
def test_migration_parses_old_event_texts(kind, text, data, expected_text, expected_data):
    migration = _migration()
    public_text, new_data = migration.parse(kind, text, data)
    assert public_text == expected_text
    assert (new_data or {}) == (expected_data or {})
    if expected_data is not None and "bureau" in expected_data:
        assert migration.unparse(kind, public_text, new_data, "") == text.replace("。答复", "。原答复")


def test_migration_converts_stored_events(app):
    """Upgrade a database at the previous revision holding old-style events."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        db.drop_all()
        upgrade(revision="9b4d2e7f1a6c")
        with db.engine.begin() as conn:
            bureau = conn.execute(sa.text("SELECT id, name FROM bureau LIMIT 1")).first()
            if bureau is None:
                conn.execute(sa.text("INSERT INTO bureau (code, name, level, active) "
                                     "VALUES ('140100', '太原市市场监督管理局', 'city', true)"))
                bureau = conn.execute(sa.text("SELECT id, name FROM bureau LIMIT 1")).first()
            conn.execute(sa.text(
                "INSERT INTO tip (id, reference, tracking_hash, category, description, anonymous, "
                "online, status, bureau_id, cross_region, extended, supervised, created_at, is_demo,"
                " routing_rule, routing_reason, queue_entered_at, accept_due) VALUES (1, 'JB-1', 'h',"
                " '其他', 'd', true, false, 'concluded', :b, false, false, false, '2026-01-01',"
                " false, 'x', 'y', '2026-01-01', '2026-01-10')"), {"b": bureau.id})
            rows = [("routed", f"您的举报已分送{bureau.name}办理。", '{"rule": "x"}', bureau.id),
                    ("info_requested", f"{bureau.name}请您补充材料：请提供合同。", None, None)]
            for i, (kind, text, data, to_bureau) in enumerate(rows, start=1):
                conn.execute(sa.text(
                    "INSERT INTO tip_event (id, tip_id, kind, at, actor_kind, status_after, "
                    "public_text, data, to_bureau_id) VALUES (:i, 1, :k, '2026-01-01', 'system', "
                    "'received', :t, :d, :tb)"),
                    {"i": i, "k": kind, "t": text, "d": data, "tb": to_bureau})
        upgrade(revision="a18e7c2d4b01")
        with db.engine.connect() as conn:
            got = conn.execute(sa.text("SELECT kind, public_text, data FROM tip_event "
                                       "ORDER BY id")).all()
        import json

        decoded = [(k, t, json.loads(d) if isinstance(d, str) else d) for k, t, d in got]
        assert decoded == [("routed", None, {"rule": "x", "bureau": bureau.name}),
                           ("info_requested", "请提供合同。", {"bureau": bureau.name})]
        downgrade(revision="9b4d2e7f1a6c")
        with db.engine.connect() as conn:
            texts = [t for (t,) in conn.execute(sa.text(
                "SELECT public_text FROM tip_event ORDER BY id"))]
        assert texts == [rows[0][1], rows[1][1]]
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
