"""Shared fixtures.

Each test gets a fresh database: SQLite in a temporary directory by default (a copy
of a template built once per session), or the database named by
PORTAL_TEST_DATABASE_URL (CI runs the suite again on PostgreSQL), emptied with
TRUNCATE before each test.  The tables come from the models (fast);
tests/portal/test_app.py proves that the Alembic migrations build exactly the same
schema.
"""

from __future__ import annotations

import os
import shutil

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db

TEST_DB_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")


def _reset_database(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _load_reference() -> None:
    from portal.register.reference import load_bureaus, load_divisions

    load_divisions()
    load_bureaus()
    db.session.commit()


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory):
    """Build the schema (and, on SQLite, the reference data) once per test session.

    SQLite: a template file that each test copies.  PostgreSQL: the schema, which each
    test empties with TRUNCATE (much faster than creating the tables again).
    """
    base = tmp_path_factory.mktemp("template")
    url = TEST_DB_URL or "sqlite:///" + str(base / "template.db")
    if TEST_DB_URL:
        _reset_database(TEST_DB_URL)
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(base),
                      "SQLALCHEMY_DATABASE_URI": url, "SEARCH_ENGINE": "none"})
    with app.app_context():
        db.create_all()
        if not TEST_DB_URL:
            _load_reference()
        db.session.remove()
        db.engine.dispose()
    return base / "template.db"


def _empty_postgres_tables() -> None:
    inspector = sa.inspect(db.engine)
    existing = set(inspector.get_table_names())
    wanted = [t.name for t in db.metadata.sorted_tables]
    if not set(wanted) <= existing:  # a test changed the schema: build it again
        db.session.remove()
        _reset_database(TEST_DB_URL)
        db.create_all()
        return
    names = ", ".join(f'"{name}"' for name in wanted)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app_config(tmp_path):
    url = TEST_DB_URL or "sqlite:///" + str(tmp_path / "test.db")
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": url,
        "SEARCH_ENGINE": os.environ.get("PORTAL_TEST_SEARCH_ENGINE", "tantivy"),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
    }


@pytest.fixture
def app(app_config, _template_database):
    if not TEST_DB_URL:
        shutil.copyfile(_template_database, app_config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):])
    app = create_app(app_config)
    with app.app_context():
        if TEST_DB_URL:
            _empty_postgres_tables()
            _load_reference()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app
