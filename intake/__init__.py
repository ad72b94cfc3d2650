"""Tips (举报): form, evidence storage, routing, workflow, deadlines, tracking."""


def init_app(app):
    from . import cli, models, views  # noqa: F401  (register the tables)
    from .models import TipStatus
    from .workflow import TipAction

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(TipStatus=TipStatus, TipAction=TipAction)
    cli.init_app(app)
