"""The public register: models, services, import, demo data and public pages."""


def init_app(app):
    from . import (
        caching,
        cli,
        models,  # noqa: F401  (register the tables)
        views,
    )

    app.register_blueprint(views.bp)
    caching.init_app(app)
    app.cli.add_command(cli.demo_command)
    app.cli.add_command(cli.import_command)
    app.cli.add_command(cli.register_group)
