"""The bureau back office (blueprint "staff"): no rules of its own, it calls services."""


def init_app(app):
    from . import views

    app.register_blueprint(views.bp)
