"""The bureau back office (blueprint "staff"): no rules of its own, it calls services."""


def init_app(app):
    from . import admin, blueprint, channel, dashboard, publish, queue  # noqa: F401  (routes on bp)

    app.register_blueprint(blueprint.bp)
