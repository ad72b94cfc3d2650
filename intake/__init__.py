"""Tips (举报): form, evidence storage, routing, workflow, deadlines, tracking."""


def init_app(app):
    from . import cli, models, views  # noqa: F401  (register the tables)

    app.register_blueprint(views.bp)
    cli.init_app(app)
