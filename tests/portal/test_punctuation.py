"""Punctuation between translated pieces follows the page's language, also inside macros
imported without context (here: the export links)."""

from tests.factories.register import make_agency


def test_macros_imported_without_context_use_the_page_language(client, app):
    with app.app_context():
        make_agency()
        from portal.extensions import db

        db.session.commit()
    zh = client.get("/agencies/").get_data(as_text=True)
    assert "下载这些结果：" in zh
    en = client.get("/agencies/?lang=en").get_data(as_text=True)
    assert "Download these results: " in en and "Download these results：" not in en
