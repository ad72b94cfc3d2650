"""Tips (举报): form, evidence storage, routing, workflow, deadlines, tracking."""


def init_app(app):
    from . import cli, models  # noqa: F401  (register the tables)
    from . import views

    app.register_blueprint(views.bp)
    cli.init_app(app)
