"""Patent agents (issue 14) in a real browser: the agent's page, the agents list and the
profile's agents are axe-clean and fit a 390 px wide phone."""

import pytest

from portal.extensions import db
from portal.register.demo import build_demo
from portal.register.models import Agent, Penalty
from tests.browser.conftest import axe_violations


@pytest.fixture
def agents_site(app):
    with app.app_context():
        build_demo(agencies=60, seed=11)
        db.session.commit()
        penalty = db.session.scalar(
            db.select(Penalty).where(Penalty.agent_id.is_not(None), Penalty.public_filter())
            .order_by(Penalty.id).limit(1))
        agent = db.session.get(Agent, penalty.agent_id)
        return {"cert": agent.certificate_no, "name": agent.name, "uscc": penalty.agency.uscc,
                "decision": penalty.decision_key}


@pytest.fixture
def phone390(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 800},
                                  is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def test_agent_pages_are_axe_clean(page, live_server, agents_site):
    for path in ("/agents/", f"/agents/?q={agents_site['name']}", f"/agents/{agents_site['cert']}",
                 f"/agencies/{agents_site['uscc']}", f"/penalties/{agents_site['decision']}"):
        page.goto(live_server + path)
        assert axe_violations(page) == [], path


def test_agent_page_and_profile_agents_on_a_390px_phone(phone390, live_server, agents_site):
    page = phone390
    page.goto(f"{live_server}/agents/{agents_site['cert']}")
    assert agents_site["name"] in page.locator("h1").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the penalty against the agent is listed and leads to its page, which names the agent
    page.locator("#penalties ~ table a[href^='/penalties/']").first.click()
    assert "/penalties/" in page.url
    assert page.locator(f"a[href='/agents/{agents_site['cert']}']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server}/agencies/{agents_site['uscc']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    agents = page.locator("#agents-h ~ table td[data-label] a[href^='/agents/']")
    assert agents.count() >= 1 and agents.first.is_visible()
    agents.first.click()
    assert "/agents/" in page.url and page.locator("h1").is_visible()
