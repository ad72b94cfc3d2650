import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal import InsecureConfigError, create_app
from portal.config import DEFAULT_SECRET_KEY
from portal.extensions import db


def test_production_refuses_default_secret_key(tmp_path):
    with pytest.raises(InsecureConfigError):
        create_app({"PORTAL_ENV": "production", "SECRET_KEY": DEFAULT_SECRET_KEY,
                    "INSTANCE_PATH": str(tmp_path)})


def test_production_refuses_short_secret_key(tmp_path):
    with pytest.raises(InsecureConfigError):
        create_app({"PORTAL_ENV": "production", "SECRET_KEY": "short",
                    "INSTANCE_PATH": str(tmp_path)})


def test_production_starts_with_a_real_secret(tmp_path):
    app = create_app({"PORTAL_ENV": "production", "SECRET_KEY": "x" * 40,
                      "DATA_KEY": "A" * 43 + "=", "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_configures_database_url(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.db"))
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")


def test_default_database_is_sqlite_under_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "inst" / "portal.db")


def test_migrations_match_models(app):
    """The Alembic migrations create exactly the schema the models declare."""
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        db.drop_all()
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, db.metadata)
    assert diff == []
    with app.app_context():
        downgrade(revision="base")
        upgrade()


def test_reference_data_loaded(app):
    from portal.register.divisions import bureau_for_division
    from portal.register.models import Bureau

    with app.app_context():
        taiyuan = db.session.scalar(db.select(Bureau).where(Bureau.code == "140100"))
        assert taiyuan.parent.code == "140000"
        assert bureau_for_division("140105").code == "140105"  # district bureau
        assert bureau_for_division("140121").code == "140100"  # county without a bureau -> city
        assert bureau_for_division("140221").code == "140200"
        assert bureau_for_division("310115").parent.code == "310000"
        assert bureau_for_division("440300") is None  # Shenzhen: not served


def test_reference_load_is_idempotent(runner, app):
    from portal.register.models import Bureau

    result = runner.invoke(args=["reference", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Bureau)) == 37


def test_home_page_renders_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_language_switch_sets_english(client):
    response = client.get("/?lang=en")
    assert 'lang="en"' in response.text
    assert "lang=en" in response.headers.get("Set-Cookie", "")
    assert ">Search<" in response.text and ">搜索<" not in response.text
    # The cookie keeps the choice on the next page.
    assert ">Search<" in client.get("/agencies/").text
    assert ">搜索<" in client.get("/?lang=zh_CN").text


def test_division_name_is_the_full_path(app):
    from portal.register.divisions import path_name as division_path_name

    with app.app_context():
        assert division_path_name("140105") == "山西省太原市小店区"
        assert division_path_name("310115") == "上海市浦东新区"
        assert division_path_name(None) == ""
