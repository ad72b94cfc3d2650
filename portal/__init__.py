"""The portal application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from . import errors
from .config import DEFAULT_SECRET_KEY, PROJECT_ROOT, from_environ


class InsecureConfigError(errors.PortalError):
    """Raised when the app would start in production with an unsafe configuration."""

    status = 500


def create_app(config: Mapping | type | None = None) -> Flask:
    """The portal: settings from the environment (``portal.config``), then ``config``
    (a mapping, or a class whose upper-case attributes are settings) on top."""
    settings = from_environ()
    if isinstance(config, type):
        settings.update({k: getattr(config, k) for k in dir(config) if k.isupper()})
    elif config:
        settings.update(config)

    instance_path = settings.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["PORTAL_ENV"] == "production"
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    _derive_paths(app)
    _refuse_insecure_production(app)

    from . import extensions

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app,
        extensions.db,
        directory=str(PROJECT_ROOT / "portal" / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)

    from .i18n import remember_locale, select_locale

    extensions.babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(PROJECT_ROOT / "portal" / "translations"),
    )
    app.after_request(remember_locale)

    from . import auth, cli, register, site, staff

    site.init_app(app)
    register.init_app(app)
    auth.init_app(app)
    staff.init_app(app)
    cli.init_app(app)

    import intake
    import search

    search.init_app(app)
    intake.init_app(app)

    errors.init_app(app)
    return app


def _derive_paths(app: Flask) -> None:
    inst = app.instance_path
    os.makedirs(inst, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(inst, "portal.db")
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = os.path.join(
            inst, f"search-{app.config['SEARCH_ENGINE']}"
        )
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = os.path.join(inst, "uploads")


def _refuse_insecure_production(app: Flask) -> None:
    if app.config["PORTAL_ENV"] != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    if key == DEFAULT_SECRET_KEY or len(key) < 32:
        raise InsecureConfigError(
            "PORTAL_ENV=production needs PORTAL_SECRET_KEY set to a random value of at "
            "least 32 characters (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
        )
