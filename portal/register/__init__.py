"""The public register: models, services, import, demo data and public pages."""


def init_app(app):
    from . import models  # noqa: F401  (register the tables)
    from . import views

    app.register_blueprint(views.bp)
