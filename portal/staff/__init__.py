"""The bureau back office (blueprint "staff"): no rules of its own, it calls services."""


def init_app(app):
    from . import admin, dashboard, publish, queue, views  # noqa: F401  (routes on views.bp)

    app.register_blueprint(views.bp)
