"""Typical cases (典型案例): short articles a bureau or the association publishes about
records of the register (issue 14).  Models, services, the public pages (/cases/), the
staff pages (/staff/cases/), their search documents and feed entries."""


def init_app(app):
    from . import models, views  # noqa: F401  (register the tables)

    app.register_blueprint(views.bp)
    app.register_blueprint(views.staff_bp)
