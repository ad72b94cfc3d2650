"""Shared fixtures.

Each test gets a fresh database: SQLite in a temporary directory by default, or
the database named by PORTAL_TEST_DATABASE_URL (CI runs the suite again on
PostgreSQL).  The tables come from the models (fast); tests/portal/test_app.py
proves that the Alembic migrations build exactly the same schema.
"""

from __future__ import annotations

import os

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
def app(app_config):
    if TEST_DB_URL:
        _reset_database(TEST_DB_URL)
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
        from portal.register.reference import load_bureaus, load_divisions

        load_divisions()
        load_bureaus()
        db.session.commit()
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
