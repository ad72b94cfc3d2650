"""The outside test's findings (issue 12), one regression test each.  Evidence names,
the duplicates box and the tracking code at rest are tested with the tip intake."""

from __future__ import annotations

import csv
import io
import logging
import os
import stat
import subprocess
import sys

import pytest
from itsdangerous import URLSafeTimedSerializer

from portal import InsecureConfigError, create_app
from portal.config import DEFAULT_SECRET_KEY, PROJECT_ROOT
from portal.extensions import db
from tests.factories.staff import PASSWORD, login, make_staff

# -- 1. forgeable sessions in the default setup ---------------------------------------------


def _bare_config(tmp_path, **extra):
    return {"INSTANCE_PATH": str(tmp_path / "inst"), "SEARCH_ENGINE": "none", **extra}


def test_wsgi_style_start_refuses_the_default_key(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    with pytest.raises(InsecureConfigError, match="portal secret"):
        create_app(_bare_config(tmp_path))  # as wsgi.py does: no key, not the dev server
    with pytest.raises(InsecureConfigError):
        create_app(_bare_config(tmp_path, SECRET_KEY="too-short"))
    assert create_app(_bare_config(tmp_path, SECRET_KEY="k" * 40)).secret_key == "k" * 40


def test_only_the_dev_server_and_the_tests_accept_the_default_key(tmp_path):
    assert create_app(_bare_config(tmp_path), from_cli=True).secret_key == DEFAULT_SECRET_KEY
    assert create_app(_bare_config(tmp_path, TESTING=True)).secret_key == DEFAULT_SECRET_KEY
    with pytest.raises(InsecureConfigError):  # production: never
        create_app(_bare_config(tmp_path, PORTAL_ENV="production"), from_cli=True)


def test_gunicorn_entry_point_refuses_to_start_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_INSTANCE_PATH=str(tmp_path), PORTAL_SEARCH_ENGINE="none")
    proc = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "PORTAL_SECRET_KEY" in proc.stderr


def test_portal_secret_prints_a_fresh_key_before_any_key_exists(monkeypatch):
    from click.testing import CliRunner

    from portal.cli import main

    monkeypatch.setenv("PORTAL_ENV", "production")  # and no PORTAL_SECRET_KEY
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    results = [CliRunner().invoke(main, ["secret"]) for _ in range(2)]
    assert [r.exit_code for r in results] == [0, 0], results[0].output
    first, second = (r.output.strip() for r in results)
    assert len(first) == 64 and int(first, 16) and first != second


def test_a_cookie_forged_with_the_public_key_opens_nothing(app):
    with app.app_context():
        admin = make_staff("140000", "admin", email="admin@example.org")
        user_id = admin.get_id()
    forged = URLSafeTimedSerializer(DEFAULT_SECRET_KEY, salt="cookie-session",
                                    signer_kwargs={"key_derivation": "hmac",
                                                   "digest_method": __import__("hashlib").sha1}
                                    ).dumps({"_user_id": user_id, "_fresh": True})
    client = app.test_client()
    client.set_cookie("session", forged)
    assert client.get("/staff/admin/staff").status_code == 302


# -- 2. sign-out ends the session ---------------------------------------------------------

def test_session_replay_after_sign_out(app):
    with app.app_context():
        make_staff("140100", "staff", email="s@example.org")
    client = app.test_client()
    login(client, "s@example.org")
    assert client.get("/staff/").status_code == 200
    copied = client.get_cookie("session").value
    assert client.post("/staff/logout").status_code == 302
    for path in ("/staff/", "/staff/dashboard", "/staff/account/password"):
        thief = app.test_client()
        thief.set_cookie("session", copied)
        resp = thief.get(path)
        assert resp.status_code == 302 and "/staff/login" in resp.headers["Location"], path


def test_staff_sessions_have_an_idle_timeout(app):
    from portal.auth import sessions

    with app.app_context():
        make_staff("140100", "staff", email="s@example.org")
    client = app.test_client()
    login(client, "s@example.org")
    with client.session_transaction() as sess:
        sess[sessions.SEEN_AT] -= 31 * 60
    assert client.get("/staff/").status_code == 302


def test_a_session_without_its_clocks_is_refused(app):
    """A cookie made before this release (or by hand) carries no sign-in time: it ends."""
    from portal.auth import sessions

    with app.app_context():
        make_staff("140100", "staff", email="s@example.org")
    client = app.test_client()
    login(client, "s@example.org")
    with client.session_transaction() as sess:
        del sess[sessions.SIGNED_IN_AT]
    assert client.get("/staff/").status_code == 302


# -- 6. security headers: see test_routes.py; inline code in templates -------------------

def test_templates_and_scripts_carry_no_inline_code():
    """The CSP forbids inline script, event handlers and style attributes."""
    import re

    pattern = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:",
                         re.IGNORECASE)
    offenders = []
    for path in sorted((PROJECT_ROOT / "templates").rglob("*.html")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{n}: {line.strip()[:80]}")
    assert offenders == [], "\n".join(offenders)


def test_htmx_does_not_inject_styles_or_eval(client):
    from tests.helpers import html

    meta = html(client.get("/")).select_one('meta[name="htmx-config"]')
    assert '"includeIndicatorStyles": false' in meta["content"]
    assert '"allowEval": false' in meta["content"]


# -- 7. lows --------------------------------------------------------------------------

def test_sign_in_failures_do_not_tell_which_accounts_exist(app):
    with app.app_context():
        make_staff("140100", "staff", email="s@example.org")
    bodies = {}
    for email in ("s@example.org", "nobody@example.org"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
            resp = login(client, email, "wrong password here")
        bodies[email] = (resp.status_code, _main_text(resp))
    assert bodies["s@example.org"] == bodies["nobody@example.org"]


def _main_text(resp):
    from tests.helpers import html

    return html(resp).select_one("main").get_text(" ", strip=True)


def test_an_outsider_cannot_lock_the_owner_out(app):
    with app.app_context():
        make_staff("140100", "staff", email="s@example.org")
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.2"
    assert login(owner, "s@example.org").status_code == 302
    owner.post("/staff/logout")
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    for _ in range(4 * app.config["LOGIN_MAX_FAILURES"]):
        login(attacker, "s@example.org", "wrong password here")
    assert login(owner, "s@example.org").status_code == 302


def test_open_data_csv_neutralizes_formulas(app, client):
    from tests.factories.register import make_agency

    with app.test_request_context():
        make_agency(name="=HYPERLINK(\"http://evil.example\",\"点击\")")
        make_agency(name="+86 代理", division_code="140121")
        db.session.commit()
    text = client.get("/data/agencies.csv").get_data(as_text=True).lstrip("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "'=HYPERLINK(\"http://evil.example\",\"点击\")" in cells


def test_neutralize_cell():
    from portal.security import neutralize_cell

    assert neutralize_cell("=1+1") == "'=1+1"
    assert neutralize_cell("@SUM(A1)") == "'@SUM(A1)"
    assert neutralize_cell("-2") == "'-2" and neutralize_cell("\tx") == "'\tx"
    assert neutralize_cell(-2) == -2 and neutralize_cell("太原") == "太原"
    assert neutralize_cell(None) is None


def test_dashboard_csv_neutralizes_formulas(app):
    from portal.staff import dashboard

    with app.app_context():
        make_staff("140100", "lead", email="lead@example.org")
    client = app.test_client()
    login(client, "lead@example.org")
    original = dashboard.compute

    def evil_compute(*args, **kwargs):
        result = original(*args, **kwargs)
        table = result["tables"]["status"]
        table["rows"] = [["=cmd|' /C calc'!A0", 1]] + list(table["rows"])
        return result

    dashboard.compute = evil_compute
    try:
        resp = client.get("/staff/dashboard/status.csv?bureau=140100")
    finally:
        dashboard.compute = original
    assert resp.status_code == 200
    assert "'=cmd|" in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"


def test_totp_cannot_be_replaced_from_a_session_alone(app):
    import pyotp

    from portal.auth.models import StaffUser

    with app.app_context():
        user = make_staff("140100", "staff", email="s@example.org")
        old = pyotp.random_base32()
        user.totp_secret = old  # enrolled earlier
        db.session.commit()
    client = app.test_client()
    login(client, "s@example.org")
    client.post("/staff/login/totp", data={"code": pyotp.TOTP(old).now()})
    client.get("/staff/account/totp")
    with client.session_transaction() as sess:
        new = sess["totp_pending_secret"]
    resp = client.post("/staff/account/totp", data={"code": pyotp.TOTP(new).now()})
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(StaffUser.totp_secret)) == old


def test_production_refuses_to_start_with_demo_accounts(app, runner):
    from portal.auth.demo import build_demo_staff

    with app.app_context():
        build_demo_staff()
        db.session.commit()
    config = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH",
                                         "SEARCH_INDEX_DIR", "UPLOAD_DIR")}
    config.update(PORTAL_ENV="production", SECRET_KEY="p" * 40, SEARCH_ENGINE="none",
                  WTF_CSRF_ENABLED=False, DATA_KEY="A" * 43 + "=")
    with pytest.raises(InsecureConfigError, match="demo --purge"):
        create_app(config)
    result = runner.invoke(args=["demo", "--purge"])
    assert result.exit_code == 0, result.output
    prod = create_app(config)
    assert prod.test_client().post("/staff/login", data={
        "email": "admin@shanxi.demo", "password": "demo-admin-140000"}).status_code == 422


def test_trusted_proxies_give_each_client_its_own_address(app_config, app):
    from flask import request

    seen = []
    app_config.update(TRUSTED_PROXIES=1, SEARCH_ENGINE="none")
    proxied = create_app(app_config)
    proxied.before_request(lambda: seen.append(request.remote_addr))
    proxied.test_client().get("/", headers={"X-Forwarded-For": "198.51.100.7"},
                              environ_base={"REMOTE_ADDR": "10.0.0.1"})
    app.before_request(lambda: seen.append(request.remote_addr))
    app.test_client().get("/", headers={"X-Forwarded-For": "198.51.100.7"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen == ["198.51.100.7", "10.0.0.1"]  # without the setting the header is ignored


def test_memory_limits_with_several_workers_warn(app_config, caplog):
    app_config.update(WORKERS=4, RATELIMIT_STORAGE_URI="memory://", SEARCH_ENGINE="none")
    with caplog.at_level(logging.WARNING, logger="portal.security"):
        create_app(app_config)
    assert "memory://" in caplog.text and "4 workers" in caplog.text
    caplog.clear()
    app_config.update(WORKERS=1)
    with caplog.at_level(logging.WARNING, logger="portal.security"):
        create_app(app_config)
    assert "memory://" not in caplog.text


@pytest.mark.parametrize("target", ["/staff/\r\nSet-Cookie: x=1", "/staff/\tx",
                                    "/staff/\n", "//evil.example/staff", "/staff\\..\\x"])
def test_next_with_cr_lf_or_off_site_is_ignored(app, target):
    with app.app_context():
        make_staff("140100", "staff", email="s@example.org")
    resp = app.test_client().post("/staff/login", query_string={"next": target},
                                  data={"email": "s@example.org", "password": PASSWORD})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/staff/")


def test_instance_files_are_private(tmp_path):
    inst = tmp_path / "inst"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(inst), "SEARCH_ENGINE": "tantivy"})
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(inst) == 0o700
    assert mode(app.config["UPLOAD_DIR"]) == 0o700
    assert mode(app.config["SEARCH_INDEX_DIR"]) == 0o700
    assert mode(inst / "portal.db") == 0o600
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert mode(inst / "portal.db") == 0o600
    # Files the process writes later (uploads, index segments) get no group/other bits.
    later = inst / "uploads" / "later.bin"
    later.write_bytes(b"x")
    assert mode(later) & 0o077 == 0


def test_existing_instance_files_are_tightened(tmp_path):
    inst = tmp_path / "inst"
    inst.mkdir(mode=0o755)
    (inst / "portal.db").write_bytes(b"")
    os.chmod(inst / "portal.db", 0o644)
    create_app({"TESTING": True, "INSTANCE_PATH": str(inst), "SEARCH_ENGINE": "none"})
    assert stat.S_IMODE(os.stat(inst).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(inst / "portal.db").st_mode) == 0o600


def test_every_cookie_has_its_flags(app):
    with app.app_context():
        make_staff("140100", "staff", email="s@example.org")
    client = app.test_client()
    cookies = client.get("/?lang=en").headers.getlist("Set-Cookie")
    cookies += login(client, "s@example.org").headers.getlist("Set-Cookie")
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"lang", "session", "staff_device"} <= names
    for cookie in cookies:
        assert "HttpOnly" in cookie, cookie
        assert "SameSite=" in cookie, cookie


# -- holidays per province ------------------------------------------------------------

def test_calendar_days_per_province(app_ctx):
    import datetime as dt

    from intake import calendar

    saturday = dt.date(2030, 2, 9)  # 2030: beyond chinese-calendar, Monday-Friday rule
    friday = dt.date(2030, 2, 8)
    calendar.set_calendar_day(saturday, True, "调休", province="310000")  # Shanghai only
    calendar.set_calendar_day(friday, False, "全国假日")  # nationwide
    calendar.set_calendar_day(friday, True, "本省上班", province="140100")  # Shanxi overrides
    db.session.commit()
    assert calendar.is_working_day(saturday, "310115") is True
    assert calendar.is_working_day(saturday, "140100") is False
    assert calendar.is_working_day(saturday) is False
    assert calendar.is_working_day(friday, "140000") is True  # the province's row wins
    assert calendar.is_working_day(friday, "310000") is False
    thursday = dt.date(2030, 2, 7)
    assert calendar.add_working_days(thursday, 1, "310000") == saturday
    assert calendar.add_working_days(thursday, 1, "140000") == friday
    assert calendar.working_days_between(thursday, dt.date(2030, 2, 11), "310000") == 2


def test_a_tips_deadline_uses_its_bureaus_province(app):
    import datetime as dt

    from intake import calendar, workflow
    from tests.factories.intake import make_tip

    with app.test_request_context():
        tip = make_tip().tip
        province = tip.bureau.code[:2] + "0000"
        start = tip.accept_due - dt.timedelta(days=1)
        # Declare the due date a holiday in another province: nothing changes here.
        calendar.set_calendar_day(tip.accept_due, False, province="310000"
                                  if province != "310000" else "140000")
        db.session.flush()
        assert workflow.working_days_left(tip, on=start) == 1
        calendar.set_calendar_day(tip.accept_due, False, province=province)
        db.session.flush()
        assert workflow.working_days_left(tip, on=start) == 0


def test_admin_edits_only_their_provinces_days(app):
    from intake.models import CalendarDay

    with app.app_context():
        make_staff("140000", "admin", email="admin@example.org")
        make_staff("310000", "admin", email="admin_sh@example.org")
    shanxi, shanghai = app.test_client(), app.test_client()
    login(shanxi, "admin@example.org")
    login(shanghai, "admin_sh@example.org")
    assert shanxi.post("/staff/admin/holidays", data={"day": "2030-02-09", "workday": "1",
                                                      "name": "调休"}).status_code == 302
    with app.app_context():
        row = db.session.scalar(db.select(CalendarDay))
        assert (row.province, row.workday) == ("140000", True)
    assert "2030-02-09" not in shanghai.get("/staff/admin/holidays").get_data(as_text=True)
    assert shanghai.post("/staff/admin/holidays/2030-02-09/delete").status_code == 404
    assert shanxi.post("/staff/admin/holidays/2030-02-09/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CalendarDay)) == 0


def test_portal_calendar_cli_keeps_nationwide_days(runner, app_ctx):
    from intake.models import CalendarDay

    result = runner.invoke(args=["calendar", "set", "2030-10-01", "--holiday", "--name", "国庆"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["calendar", "set", "2030-10-12", "--workday",
                                 "--province", "310000"])
    assert result.exit_code == 0, result.output
    rows = {(r.day.isoformat(), r.province, r.workday)
            for r in db.session.scalars(db.select(CalendarDay))}
    assert rows == {("2030-10-01", "", False), ("2030-10-12", "310000", True)}
    result = runner.invoke(args=["calendar", "set", "not-a-day", "--holiday"])
    assert result.exit_code != 0 and "有效日期" in result.output


def test_overdue_queries_use_the_province_calendar(app):
    import datetime as dt

    from intake import calendar, queries
    from intake.models import Tip
    from tests.factories.intake import make_tip

    wednesday, tuesday = dt.date(2030, 2, 13), dt.date(2030, 2, 12)
    with app.test_request_context():
        tip = make_tip().tip
        tip.accept_due = tuesday
        db.session.flush()
        province = tip.bureau.code

        def overdue(code):
            return db.session.scalar(db.select(db.func.count(Tip.id)).where(
                Tip.id == tip.id, queries.overdue_clause(wednesday, province=code)))

        assert overdue(province) == 1
        calendar.set_calendar_day(wednesday, False, province=province)  # a local holiday
        db.session.flush()
        assert overdue(province) == 0  # due yesterday, today is no working day: not late
        assert overdue("310000" if not province.startswith("31") else "140000") == 1


def test_nul_bytes_are_refused_before_they_reach_the_database(client):
    """PostgreSQL refuses NUL in a text parameter: a 400 for the visitor, never a 500."""
    assert client.get("/agencies/", query_string={"region": "\x00"}).status_code == 400
    assert client.get("/search/", query_string={"q": "a\x00b"}).status_code == 200  # normalized
    response = client.get("/api/v1/divisions", query_string={"parent": "\x00"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert client.get("/api/v1/credit-grades/2147483648").status_code == 404
