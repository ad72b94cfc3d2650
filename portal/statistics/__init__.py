"""Public complaint statistics (issue 17): /statistics/ with charts, tables and CSV."""

from __future__ import annotations


def init_app(app) -> None:
    from .views import bp

    app.register_blueprint(bp)
