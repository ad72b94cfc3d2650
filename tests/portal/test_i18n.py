"""The English locale: translated strings and English punctuation between them."""

from .staff_helpers import login, make_agency, make_staff, make_tip


def test_staff_pages_use_the_punctuation_of_the_language(app):
    with app.test_request_context():
        make_staff("140100", "lead", email="lead@example.org")
        reference = make_tip(agency=make_agency()).tip.reference
    client = app.test_client()
    assert login(client, "lead@example.org").status_code == 302

    chinese = client.get(f"/staff/tips/{reference}").get_data(as_text=True)
    assert "（91140100MA0K0001" in chinese

    client.get("/?lang=en")  # the language cookie now says English
    english = client.get(f"/staff/tips/{reference}").get_data(as_text=True)
    assert 'lang="en"' in english
    assert " (91140100MA0K0001" in english
    queue = client.get("/staff/").get_data(as_text=True)
    assert "：" not in queue and "（" not in queue
