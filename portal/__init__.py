"""The portal application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from . import errors, security
from .config import PROJECT_ROOT, from_environ
from .security import InsecureConfigError

__all__ = ["InsecureConfigError", "create_app"]


def create_app(config: Mapping | type | None = None, *, from_cli: bool = False) -> Flask:
    """The portal: settings from the environment (``portal.config``), then ``config``
    (a mapping, or a class whose upper-case attributes are settings) on top.

    ``from_cli`` is set by the ``portal`` command (management commands and the development
    server): only there, and in the test suite, is the development secret key accepted,
    and only there may production start while demo accounts exist (so that
    ``portal demo --purge`` can remove them).  ``gunicorn wsgi:app`` refuses both."""
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
    security.check_secret_key(app, dev_server=from_cli)
    _derive_paths(app)
    _database_options(app)
    security.trust_proxies(app)
    security.warn_per_worker_limits(app)

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

    from . import alerts, api, feeds

    api.init_app(app)
    feeds.init_app(app)
    alerts.init_app(app)

    from . import statistics

    statistics.init_app(app)

    from . import check

    check.init_app(app)

    # issue 14 — typical cases
    from . import cases

    cases.init_app(app)

    # issue 14 — association measures: the vocabulary page of the association publisher
    from . import association

    association.init_app(app)

    # issue 14 — patent agents: the back office's agent pages (under /staff/agents)
    from .staff import agents as staff_agents

    staff_agents.init_app(app)

    # issue 14 — credit repair applications
    from . import repair

    repair.init_app(app)

    from . import ops

    ops.init_app(app)

    errors.init_app(app)
    security.init_headers(app)
    if not from_cli:
        _refuse_demo_accounts_in_production(app)
    return app


def _derive_paths(app: Flask) -> None:
    inst = app.instance_path
    security.private_umask()
    security.make_private_dirs([inst])
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(inst, "portal.db")
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = os.path.join(
            inst, f"search-{app.config['SEARCH_ENGINE']}"
        )
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = os.path.join(inst, "uploads")
    # Private: the database, the index (tip texts are not indexed, records are) and the
    # evidence files: 0700 directories, a 0600 SQLite file.
    security.make_private_dirs([app.config["SEARCH_INDEX_DIR"], app.config["UPLOAD_DIR"]])
    db_file = security.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    if db_file:
        # A missing directory is created private; an existing one (maybe /tmp) is left alone.
        os.makedirs(os.path.dirname(os.path.abspath(db_file)), mode=0o700, exist_ok=True)
        security.make_private_file(db_file)


def _database_options(app: Flask) -> None:
    """PostgreSQL: no GSSAPI encryption unless asked for.  psycopg's binary wheel bundles a
    libpq whose GSSAPI negotiation has crashed threaded clients (psycopg issues #1088,
    #1213); the portal never uses Kerberos.  An explicit ``gssencmode`` (in the URL, the
    engine options or PGGSSENCMODE) wins."""
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if not url.startswith("postgresql") or "gssencmode" in url or "PGGSSENCMODE" in os.environ:
        return
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"] or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("gssencmode", "disable")
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _refuse_demo_accounts_in_production(app: Flask) -> None:
    """Production does not start while the published demo accounts can sign in."""
    if app.config["PORTAL_ENV"] != "production":
        return
    from .auth.demo import demo_accounts_present

    with app.app_context():
        present = demo_accounts_present()
    if present:
        raise InsecureConfigError(
            "The database holds the demo staff accounts, whose passwords are published "
            f"({', '.join(present)}).  Run `portal demo --purge` before starting in production.")
