"""Before you hire (issue 16): comparison, shortlist check, printable reports and their
verification, and the administrator-editable wording of the profile's panel and grade scale."""


def init_app(app):
    from . import models, views  # noqa: F401  (models: register the tables)

    app.register_blueprint(views.bp)
