"""Configuration: every setting the portal reads, declared once.

Each ``Setting`` names the Flask config key, the environment variable that overrides it
(if any), its type, its default and what it is for.  ``DEFAULTS`` and ``from_environ``
both come from the ``SETTINGS`` table; code reads ``current_app.config[NAME]`` and never
restates a default.  Nothing else in the code reads ``os.environ``.  The README's
"Configuration" section documents the variables for operators.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The value shipped for development.  ``create_app`` refuses it in production.
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"

PROJECT_ROOT = Path(__file__).resolve().parent.parent

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default, and the environment variable that overrides it."""

    name: str
    default: Any
    doc: str
    env: str | None = None  # None: not read from the environment
    value_type: type = str  # how the variable is read: str as is, int, or bool (1/true/yes/on)

    def parse(self, raw: str) -> Any:
        if self.value_type is bool:
            return raw.strip().lower() in TRUE_WORDS
        if self.value_type is int:
            return int(raw) if raw else self.default
        return raw


MB = 1024 * 1024

SETTINGS: tuple[Setting, ...] = (
    Setting("PORTAL_ENV", "development",
            '"development" or "production"; production refuses the default secret key.',
            env="PORTAL_ENV"),
    Setting("SECRET_KEY", DEFAULT_SECRET_KEY,
            "Session and CSRF signing key; in production at least 32 random characters.",
            env="PORTAL_SECRET_KEY"),
    Setting("INSTANCE_PATH", None,
            "Where instance data lives (SQLite file, search index, uploads); None: ./instance.",
            env="PORTAL_INSTANCE_PATH"),
    Setting("SQLALCHEMY_DATABASE_URI", None,
            "SQLAlchemy URL; None: sqlite:///<instance>/portal.db.",
            env="PORTAL_DATABASE_URL"),
    Setting("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True},
            "Options passed to SQLAlchemy's create_engine."),
    Setting("SEARCH_ENGINE", "tantivy", 'Search engine: "tantivy", "whoosh" or "none".',
            env="PORTAL_SEARCH_ENGINE"),
    Setting("SEARCH_INDEX_DIR", None, "Index directory; None: <instance>/search-<engine>.",
            env="PORTAL_SEARCH_INDEX_DIR"),
    Setting("UPLOAD_DIR", None,
            "Private storage for tip evidence; None: <instance>/uploads.  Never under static/.",
            env="PORTAL_UPLOAD_DIR"),
    Setting("MAX_CONTENT_LENGTH", 52 * MB,
            "Whole-request size limit in bytes: five files of 10 MB plus the form."),
    Setting("MAX_FORM_MEMORY_SIZE", 1 * MB, "Size limit in bytes of the non-file form fields."),
    Setting("RATELIMIT_STORAGE_URI", "memory://",
            "Flask-Limiter storage: memory:// by default, redis://host:6379/0 in production.",
            env="PORTAL_RATELIMIT_STORAGE_URI"),
    Setting("RATELIMIT_ENABLED", True,
            "Rate limits on the tip form, tracking look-ups and sign-in.",
            env="PORTAL_RATELIMIT_ENABLED", value_type=bool),
    Setting("RATELIMIT_HEADERS_ENABLED", True, "Send X-RateLimit-* headers."),
    Setting("BABEL_DEFAULT_LOCALE", "zh_CN", "The language of a page nobody chose one for."),
    Setting("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai", "Time zone of dates shown by Babel."),
    Setting("LANGUAGES", ("zh_CN", "en"), "Languages a visitor may choose (?lang=)."),
    Setting("SESSION_COOKIE_HTTPONLY", True, "The session cookie is hidden from scripts."),
    Setting("SESSION_COOKIE_SAMESITE", "Lax", "SameSite attribute of the session cookie."),
    Setting("SESSION_COOKIE_SECURE", None,
            "HTTPS-only cookies; None: on in production, off in development.",
            env="PORTAL_SECURE_COOKIES", value_type=bool),
    Setting("REMEMBER_COOKIE_HTTPONLY", True, "The remember-me cookie is hidden from scripts."),
    Setting("WTF_CSRF_TIME_LIMIT", None, "CSRF tokens last as long as the session."),
    Setting("MAIL_SENDER", "noreply@lantian.invalid",
            "From address of the mail drained by `portal mail send`.",
            env="PORTAL_MAIL_SENDER"),
    Setting("SMTP_HOST", None, "SMTP server for the outbox; None: mail is not sent.",
            env="PORTAL_SMTP_HOST"),
    Setting("SMTP_PORT", 25, "SMTP server port.", env="PORTAL_SMTP_PORT", value_type=int),
    Setting("TIP_ACCEPT_DAYS", 7, "Working days to accept a tip after it enters a queue.",
            env="PORTAL_TIP_ACCEPT_DAYS", value_type=int),
    Setting("TIP_VERIFY_DAYS", 15, "Working days to verify a tip after accepting it.",
            env="PORTAL_TIP_VERIFY_DAYS", value_type=int),
    Setting("TIP_EXTEND_DAYS", 15, "Working days one extension of the verification adds.",
            env="PORTAL_TIP_EXTEND_DAYS", value_type=int),
    Setting("TIP_MAX_FILES", 5, "Evidence files one tip or reply may carry.",
            env="PORTAL_TIP_MAX_FILES", value_type=int),
    Setting("TIP_MAX_FILE_BYTES", 10 * MB, "Size limit in bytes of one evidence file.",
            env="PORTAL_TIP_MAX_FILE_BYTES", value_type=int),
    Setting("TIP_SUBMIT_RATE_LIMIT", "5 per minute;30 per hour",
            "Tip submissions per address (Flask-Limiter syntax).",
            env="PORTAL_TIP_SUBMIT_RATE_LIMIT"),
    Setting("TIP_TRACK_RATE_LIMIT", "10 per minute;60 per hour",
            "Tracking look-ups per address (Flask-Limiter syntax).",
            env="PORTAL_TIP_TRACK_RATE_LIMIT"),
    Setting("LOGIN_MAX_FAILURES", 5,
            "Consecutive failed sign-ins (password or code) that lock a staff account.",
            env="PORTAL_LOGIN_MAX_FAILURES", value_type=int),
    Setting("LOGIN_LOCK_MINUTES", 15, "Minutes a locked staff account stays locked.",
            env="PORTAL_LOGIN_LOCK_MINUTES", value_type=int),
    Setting("PENALTY_SMALL_FINE_YUAN", 10000,
            "A fine at or under this amount is small (shorter publication window, "
            "行政处罚信息公示规定).",
            env="PORTAL_PENALTY_SMALL_FINE_YUAN", value_type=int),
    Setting("TRIAGE_BUREAU_CODE", "140000",
            "The bureau whose queue receives tips no routing rule can place.",
            env="PORTAL_TRIAGE_BUREAU_CODE"),
)

DEFAULTS: Mapping[str, Any] = {setting.name: setting.default for setting in SETTINGS}


def from_environ(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Every setting: its environment variable when set, else its default."""
    values = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env) if setting.env else None
        values[setting.name] = (copy.deepcopy(setting.default) if raw is None
                                else setting.parse(raw))
    return values
