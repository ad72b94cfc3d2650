"""The Content-Security-Policy in Chromium: pages and their htmx requests run with no
violation (no inline script, handler or style; htmx injects no style and evals nothing),
and the headers reach the browser."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.extensions import db
from tests.factories import register as f
from tests.factories.staff import PASSWORD, make_staff

# Recorded in the page before any of its scripts run (init scripts are not subject to CSP).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                    + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def test_public_pages_and_htmx_run_under_the_csp(live_server, page, app):
    with app.app_context():
        f.make_agency(name="太原市晋阳专利代理事务所（普通合伙）")
        db.session.commit()
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(live_server + "/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.goto(live_server + "/search/")
    page.fill("#search-q", "晋阳")
    page.wait_for_url("**q=*")  # the htmx request ran and pushed the URL
    expect(page.locator("#search-results")).to_contain_text("晋阳")
    assert _violations(page) == []
    page.goto(live_server + "/tips/new")
    page.select_option("#place-province", "140000")
    expect(page.locator("#place-city option")).not_to_have_count(1)  # htmx filled the cities
    assert page.locator("style").count() == 0  # htmx added no <style> element
    assert _violations(page) == []


def test_staff_pages_and_htmx_run_under_the_csp(live_server, page, app):
    with app.app_context():
        make_staff("140100", "lead", email="lead@example.org")
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(live_server + "/staff/login")
    page.fill("#email", "lead@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/")
    page.locator("#f-overdue").check()  # the queue filter reloads through htmx
    page.wait_for_url("**overdue=*")
    assert _violations(page) == []
    for path in ("/staff/dashboard", "/staff/account/totp", "/staff/records"):
        response = page.goto(live_server + path)
        assert response.headers["cache-control"] == "no-store"
        assert _violations(page) == [], path


def test_a_foreign_page_cannot_frame_the_portal(live_server, browser):
    context = browser.new_context()
    page = context.new_page()
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "frame" in msg.text else None)
    page.set_content(f'<iframe id="f" src="{live_server}/staff/login"></iframe>')
    page.wait_for_timeout(1500)
    frame = page.frame_locator("#f")
    assert frame.locator("#email").count() == 0  # the browser refused to render it
    context.close()
