from .conftest import axe_violations


def test_home_page_in_browser_is_accessible(live_server, page):
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("a.skip-link").count() == 1
    assert axe_violations(page) == []
