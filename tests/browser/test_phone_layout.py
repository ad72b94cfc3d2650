"""Every main page fits a 375 px phone screen: no horizontal scrolling, public or staff."""

import pytest

from intake.models import Tip
from portal.auth.demo import DEMO_STAFF
from portal.extensions import db
from portal.register.demo import build_demo
from portal.register.models import Agency, Penalty

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def demo_site(app):
    with app.app_context():
        build_demo(agencies=40, seed=5)  # also creates demo staff accounts and tips
        db.session.commit()
        penalty = db.session.scalar(
            db.select(Penalty).where(Penalty.public_filter(), Penalty.agency_id.is_not(None))
            .order_by(Penalty.id).limit(1))
        agency = db.session.get(Agency, penalty.agency_id)
        lead = next(row for row in DEMO_STAFF if row[0] == "lead@taiyuan.demo")
        bureau_tip = db.session.scalar(
            db.select(Tip).join(Tip.bureau).where(Tip.bureau.has(code=lead[2]))
            .order_by(Tip.id).limit(1))
        return {"uscc": agency.uscc, "decision": penalty.decision_number,
                "lead": lead, "tip": bureau_tip.reference if bureau_tip else None}


def _overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_public_pages_fit_a_phone(browser, live_server, demo_site):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    paths = ["/", "/search/?q=%E4%BB%A3%E7%90%86", "/agencies/", f"/agencies/{demo_site['uscc']}",
             "/penalties/", f"/penalties/{demo_site['decision']}", "/spot-checks/",
             "/credit-grades/", "/list-entries/", "/bureaus/", "/data/", "/tips/new",
             "/tips/track", "/staff/login"]
    for path in paths:
        page.goto(live_server + path)
        assert _overflow(page) <= 1, path
    context.close()


def test_staff_pages_fit_a_phone(browser, live_server, demo_site):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    email, _role, _code, _name, password = demo_site["lead"]
    page.goto(live_server + "/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/staff/")
    paths = ["/staff/", "/staff/dashboard", "/staff/records", "/staff/import",
             "/staff/supervised"]
    if demo_site["tip"]:
        paths.append(f"/staff/tips/{demo_site['tip']}")
    for path in paths:
        response = page.goto(live_server + path)
        assert response.status == 200, path
        assert _overflow(page) <= 1, path
    context.close()
