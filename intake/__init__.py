"""Tips (举报): form, evidence storage, routing, workflow, deadlines, tracking."""


def init_app(app):
    # Tables, and the hooks audit and notifications install on import.
    from . import audit, cli, crypto, event_text, models, notifications, views  # noqa: F401
    from .metadata import label as metadata_label
    from .models import TipStatus
    from .workflow import TipAction

    crypto.check_data_key(app)
    app.add_template_filter(metadata_label, "metadata_label")

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(TipStatus=TipStatus, TipAction=TipAction)
    cli.init_app(app)
    event_text.init_app(app)
