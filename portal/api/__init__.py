"""Open data: the JSON API (/api/v1/, documented at /api/), filtered downloads, the
JSON Lines dump.  Feeds live in ``portal.feeds``, e-mail alerts in ``portal.alerts``."""


def init_app(app):
    from . import views

    app.url_map.converters["api_rest"] = views.RestOfPath
    app.register_blueprint(views.bp)
    app.register_blueprint(views.docs_bp)
