"""The English locale: translated strings and English punctuation between them."""

from tests.factories.intake import make_tip
from tests.factories.register import make_agency, uscc
from tests.factories.staff import login, make_staff


def test_staff_pages_use_the_punctuation_of_the_language(app):
    with app.test_request_context():
        make_staff("140100", "lead", email="lead@example.org")
        agency = make_agency(division_code="140121", uscc=uscc("91140100MA0K0001"))
        reference = make_tip(agency=agency).tip.reference
    client = app.test_client()
    assert login(client, "lead@example.org").status_code == 302

    chinese = client.get(f"/staff/tips/{reference}").get_data(as_text=True)
    assert "（91140100MA0K0001" in chinese

    client.get("/?lang=en")  # the language cookie now says English
    english = client.get(f"/staff/tips/{reference}").get_data(as_text=True)
    assert 'lang="en"' in english
    assert " (91140100MA0K0001" in english
    queue = client.get("/staff/").get_data(as_text=True)
    # Data (names, marked lang="zh") keep their own punctuation; the page's words do not.
    from tests.portal.test_english import FULL_WIDTH_PUNCTUATION, foreign_text

    assert not foreign_text(queue, FULL_WIDTH_PUNCTUATION)


def test_a_service_error_no_view_caught_is_an_error_page_in_the_page_language(app):
    from flask_babel import gettext

    from portal.auth.permissions import Forbidden
    from portal.auth.services import AccountError

    @app.get("/test/forbidden")
    def forbidden():
        raise Forbidden()

    @app.get("/test/account-error")
    def account_error():
        raise AccountError(gettext("角色无效。"), "role")

    client = app.test_client()
    response = client.get("/test/forbidden")
    assert response.status_code == 403
    assert "无权访问" in response.text and "您没有访问此页面的权限。" in response.text

    response = client.get("/test/account-error?lang=en")
    assert response.status_code == 422
    assert "Bad request" in response.text and "Invalid role." in response.text
