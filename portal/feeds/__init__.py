"""Atom feeds of published records: all kinds or one, optionally per region, and per
agency (``/feeds/...``).  Corrected and withdrawn records come back as updated entries."""


def init_app(app):
    from . import views

    app.register_blueprint(views.bp)
