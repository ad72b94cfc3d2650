"""Configuration, read from environment variables.

Every key the portal reads is listed here with its default; the README's
"Configuration" section documents them for operators.  Nothing else in the
code reads ``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

# The value shipped for development.  ``create_app`` refuses it in production.
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"PORTAL_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Defaults for a development checkout; overridden from ``PORTAL_*`` variables."""

    # "development" or "production".  Production refuses the default secret key.
    PORTAL_ENV = "development"
    SECRET_KEY = DEFAULT_SECRET_KEY
    # Where instance data lives (SQLite file, search index, uploads).
    INSTANCE_PATH: str | None = None
    # SQLAlchemy URL; None means sqlite:///<instance>/portal.db
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}

    # Search engine: "tantivy" (default), "whoosh" or "none".
    SEARCH_ENGINE = "tantivy"
    # Index directory; None means <instance>/search-<engine>
    SEARCH_INDEX_DIR: str | None = None

    # Private storage for tip evidence; None means <instance>/uploads.  Never under static/.
    UPLOAD_DIR: str | None = None
    # Whole-request size limit (bytes): five files of 10 MB plus the form.
    MAX_CONTENT_LENGTH = 52 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    # Flask-Limiter storage: memory:// by default, redis://host:6379/0 in production.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True

    # i18n
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: secure (HTTPS-only) cookies in production, plain in development.
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None

    # Mail (the outbox is drained by `portal mail send`)
    MAIL_SENDER = "noreply@lantian.invalid"
    SMTP_HOST: str | None = None
    SMTP_PORT = 25

    # Working-day deadlines for tips (working days)
    TIP_ACCEPT_DAYS = 7
    TIP_VERIFY_DAYS = 15
    TIP_EXTEND_DAYS = 15

    # Tip intake: evidence files and per-address rate limits (Flask-Limiter syntax)
    TIP_MAX_FILES = 5
    TIP_MAX_FILE_BYTES = 10 * 1024 * 1024
    TIP_SUBMIT_RATE_LIMIT = "5 per minute;30 per hour"
    TIP_TRACK_RATE_LIMIT = "10 per minute;60 per hour"

    # Staff sign-in: lock an account for LOGIN_LOCK_MINUTES after LOGIN_MAX_FAILURES failures
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15

    # Publication windows (行政处罚信息公示规定); a fine at or under this amount is "small".
    PENALTY_SMALL_FINE_YUAN = 10000

    # The province whose bureau runs the triage queue.
    TRIAGE_BUREAU_CODE = "140000"

    @classmethod
    def from_environ(cls) -> dict:
        cfg = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        env = _env("ENV")
        if env:
            cfg["PORTAL_ENV"] = env
        cfg["SECRET_KEY"] = _env("SECRET_KEY", cfg["SECRET_KEY"])
        cfg["INSTANCE_PATH"] = _env("INSTANCE_PATH", cfg["INSTANCE_PATH"])
        cfg["SQLALCHEMY_DATABASE_URI"] = _env("DATABASE_URL", cfg["SQLALCHEMY_DATABASE_URI"])
        cfg["SEARCH_ENGINE"] = _env("SEARCH_ENGINE", cfg["SEARCH_ENGINE"])
        cfg["SEARCH_INDEX_DIR"] = _env("SEARCH_INDEX_DIR", cfg["SEARCH_INDEX_DIR"])
        cfg["UPLOAD_DIR"] = _env("UPLOAD_DIR", cfg["UPLOAD_DIR"])
        cfg["RATELIMIT_STORAGE_URI"] = _env("RATELIMIT_STORAGE_URI", cfg["RATELIMIT_STORAGE_URI"])
        cfg["RATELIMIT_ENABLED"] = _env_bool("RATELIMIT_ENABLED", cfg["RATELIMIT_ENABLED"])
        if _env("SECURE_COOKIES") is not None:
            cfg["SESSION_COOKIE_SECURE"] = _env_bool("SECURE_COOKIES", False)
        cfg["SMTP_HOST"] = _env("SMTP_HOST", cfg["SMTP_HOST"])
        cfg["SMTP_PORT"] = _env_int("SMTP_PORT", cfg["SMTP_PORT"])
        cfg["MAIL_SENDER"] = _env("MAIL_SENDER", cfg["MAIL_SENDER"])
        cfg["TIP_ACCEPT_DAYS"] = _env_int("TIP_ACCEPT_DAYS", cfg["TIP_ACCEPT_DAYS"])
        cfg["TIP_VERIFY_DAYS"] = _env_int("TIP_VERIFY_DAYS", cfg["TIP_VERIFY_DAYS"])
        cfg["TIP_EXTEND_DAYS"] = _env_int("TIP_EXTEND_DAYS", cfg["TIP_EXTEND_DAYS"])
        cfg["TRIAGE_BUREAU_CODE"] = _env("TRIAGE_BUREAU_CODE", cfg["TRIAGE_BUREAU_CODE"])
        cfg["TIP_MAX_FILES"] = _env_int("TIP_MAX_FILES", cfg["TIP_MAX_FILES"])
        cfg["TIP_MAX_FILE_BYTES"] = _env_int("TIP_MAX_FILE_BYTES", cfg["TIP_MAX_FILE_BYTES"])
        cfg["TIP_SUBMIT_RATE_LIMIT"] = _env("TIP_SUBMIT_RATE_LIMIT", cfg["TIP_SUBMIT_RATE_LIMIT"])
        cfg["TIP_TRACK_RATE_LIMIT"] = _env("TIP_TRACK_RATE_LIMIT", cfg["TIP_TRACK_RATE_LIMIT"])
        cfg["LOGIN_MAX_FAILURES"] = _env_int("LOGIN_MAX_FAILURES", cfg["LOGIN_MAX_FAILURES"])
        cfg["LOGIN_LOCK_MINUTES"] = _env_int("LOGIN_LOCK_MINUTES", cfg["LOGIN_LOCK_MINUTES"])
        cfg["PENALTY_SMALL_FINE_YUAN"] = _env_int(
            "PENALTY_SMALL_FINE_YUAN", cfg["PENALTY_SMALL_FINE_YUAN"]
        )
        return cfg
