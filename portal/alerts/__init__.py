"""E-mail alerts: subscribe to an agency or to a region and kind; double opt-in; one-click
unsubscribe; ``portal alerts send`` turns register changes into outbox mail."""


def init_app(app):
    from . import cli, models, views  # noqa: F401  (register the tables)

    app.register_blueprint(views.bp)
    cli.init_app(app)
