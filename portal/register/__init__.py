"""The public register: models, services, import, demo data and public pages."""


def init_app(app):
    from . import (
        cli,
        models,  # noqa: F401  (register the tables)
        views,
    )

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.demo_command)
    app.cli.add_command(cli.import_command)
