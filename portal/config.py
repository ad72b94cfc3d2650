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
    Setting("SEARCH_APPLY_ON_COMMIT", True,
            "The request that commits a change catches this host's index up with the change "
            "log at once; other hosts learn of it through `portal search follow`.",
            env="PORTAL_SEARCH_APPLY_ON_COMMIT", value_type=bool),
    Setting("READY_MAX_INDEX_LAG_SECONDS", 60,
            "/readyz answers 503 when this host's search index is further behind the change log.",
            env="PORTAL_READY_MAX_INDEX_LAG_SECONDS", value_type=int),
    Setting("READY_MAX_OUTBOX_AGE_MINUTES", 30,
            "/readyz answers 503 when a mail has waited in the outbox longer (a stuck sender).",
            env="PORTAL_READY_MAX_OUTBOX_AGE_MINUTES", value_type=int),
    Setting("METRICS_TOKEN", None,
            "Bearer token that opens /metrics (Prometheus); None: /metrics answers 404.",
            env="PORTAL_METRICS_TOKEN"),
    Setting("LOG_FORMAT", "text",
            '"json": one JSON object per log line, with the request id (production logs carry '
            "the request id in either format).", env="PORTAL_LOG_FORMAT"),
    Setting("SEARCH_SYNONYMS", None,
            "Synonyms CSV applied at query time; None: search/synonyms.csv (re-read on change).",
            env="PORTAL_SEARCH_SYNONYMS"),
    Setting("UPLOAD_DIR", None,
            "Private storage for tip evidence; None: <instance>/uploads.  Never under static/.",
            env="PORTAL_UPLOAD_DIR"),
    Setting("MAX_CONTENT_LENGTH", 52 * MB,
            "Whole-request size limit in bytes: five files of 10 MB plus the form."),
    Setting("MAX_FORM_MEMORY_SIZE", 1 * MB, "Size limit in bytes of the non-file form fields."),
    Setting("RATELIMIT_STORAGE_URI", "memory://",
            "Flask-Limiter storage: memory:// by default, redis://host:6379/0 in production.",
            env="PORTAL_RATELIMIT_STORAGE_URI"),
    Setting("CACHE_URL", None,
            "Shared cache of counts and public pages: redis://host:6379/1 in production (every "
            "worker and host shares it), simple:// (per process), null:// (off); None: the "
            "rate limits' Redis when RATELIMIT_STORAGE_URI is redis://, else simple://.",
            env="PORTAL_CACHE_URL"),
    Setting("PAGE_CACHE_SECONDS", 6 * 3600,
            "Seconds a rendered public register page is kept in the shared cache; 0: pages are "
            "not kept.  It is keyed by the register's data version (a publish shows at once), "
            "the day, the running code (a deploy shows at once) and, for search, this host's "
            "index, so the time only bounds how long an unused page takes memory.",
            env="PORTAL_PAGE_CACHE_SECONDS", value_type=int),
    Setting("PUBLIC_MAX_AGE_SECONDS", 60,
            "Cache-Control max-age of the public register pages (browsers, proxies, CDNs "
            "revalidate with ETag / Last-Modified after it).",
            env="PORTAL_PUBLIC_MAX_AGE_SECONDS", value_type=int),
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
    Setting("TIP_SUBMIT_RATE_LIMIT", "20 per minute;120 per hour",
            "Tips filed per client address (Flask-Limiter syntax).  Only filed tips and "
            "refused bots count, not forms returned for correction or repeated submissions "
            "of one form; sized for many phones behind one carrier-grade NAT address.",
            env="PORTAL_TIP_SUBMIT_RATE_LIMIT"),
    Setting("TIP_RECEIPT_WINDOW_MINUTES", 30,
            "Minutes a repeated submission of a tip form shows the receipt with its tracking "
            "code again (the code is kept encrypted that long, then erased).",
            env="PORTAL_TIP_RECEIPT_WINDOW_MINUTES", value_type=int),
    Setting("DATA_KEY", None,
            "Keys encrypting the reporters' identity and the evidence files (urlsafe base64 "
            "of 32 bytes, comma-separated: the first seals, all open; `portal keys generate`). "
            "Required in production; development derives one from the secret key.",
            env="PORTAL_DATA_KEY"),
    Setting("TIP_RETENTION_YEARS", 5,
            "Years after conclusion after which `portal tips purge` removes a tip's evidence "
            "files and reporter identity (the facts and timeline stay).",
            env="PORTAL_TIP_RETENTION_YEARS", value_type=int),
    Setting("MAIL_MAX_ATTEMPTS", 8,
            "Sending attempts of one queued mail before it is set aside as dead (retries back "
            "off: 5 minutes, then doubling).",
            env="PORTAL_MAIL_MAX_ATTEMPTS", value_type=int),
    Setting("TIP_TRACK_RATE_LIMIT", "10 per minute;60 per hour",
            "Tracking look-ups per address (Flask-Limiter syntax).",
            env="PORTAL_TIP_TRACK_RATE_LIMIT"),
    Setting("LOGIN_MAX_FAILURES", 5,
            "Failed sign-ins (password or code) for one e-mail from one address that lock "
            "that address out of that account; the same count from all addresses starts "
            "the per-account slow-down.",
            env="PORTAL_LOGIN_MAX_FAILURES", value_type=int),
    Setting("LOGIN_LOCK_MINUTES", 15,
            "Minutes an address stays locked out of an account after too many failures.",
            env="PORTAL_LOGIN_LOCK_MINUTES", value_type=int),
    Setting("LOGIN_SLOWDOWN_MAX_SECONDS", 300,
            "Longest wait the per-account slow-down imposes between two attempts "
            "(browsers that signed in to the account before are exempt).",
            env="PORTAL_LOGIN_SLOWDOWN_MAX_SECONDS", value_type=int),
    Setting("STAFF_IDLE_MINUTES", 30, "A staff session ends after this many idle minutes.",
            env="PORTAL_STAFF_IDLE_MINUTES", value_type=int),
    Setting("STAFF_SESSION_HOURS", 12,
            "A staff session ends this many hours after sign-in, however active.",
            env="PORTAL_STAFF_SESSION_HOURS", value_type=int),
    Setting("TRUSTED_PROXIES", 0,
            "Reverse proxies in front of the portal whose X-Forwarded-For/-Proto/-Host "
            "headers are trusted (Werkzeug ProxyFix); 0: none, the socket address counts.",
            env="PORTAL_TRUSTED_PROXIES", value_type=int),
    Setting("WORKERS", 1,
            "Worker processes serving the portal (gunicorn reads the same variable); "
            "with more than one, memory:// rate limits count per worker: a warning.",
            env="WEB_CONCURRENCY", value_type=int),
    Setting("HSTS_MAX_AGE", 31536000,
            "Strict-Transport-Security max-age in seconds, sent in production over HTTPS.",
            env="PORTAL_HSTS_MAX_AGE", value_type=int),
    Setting("PENALTY_SMALL_FINE_YUAN", 10000,
            "A fine at or under this amount is small (shorter publication window, "
            "行政处罚信息公示规定).",
            env="PORTAL_PENALTY_SMALL_FINE_YUAN", value_type=int),
    # issue 14 — credit repair applications (信用修复; the rule: portal/repair/eligibility.py)
    Setting("REPAIR_MIN_PUBLISHED_MONTHS", 6,
            "Months a penalty must have been published before its party may apply for credit "
            "repair (never less than the 6 months of 行政处罚信息公示规定, which the register "
            "enforces).", env="PORTAL_REPAIR_MIN_PUBLISHED_MONTHS", value_type=int),
    Setting("REPAIR_SERIOUS_LIST_MIN_MONTHS", 12,
            "Months an entry of the serious-dishonesty list (严重违法失信名单) must have been "
            "published before early removal may be applied for (满一年).",
            env="PORTAL_REPAIR_SERIOUS_LIST_MIN_MONTHS", value_type=int),
    Setting("REPAIR_EXCLUDED_PENALTY_KINDS", "吊销执业许可证",
            "Penalty kinds (、-separated) whose decisions can never be repaired.",
            env="PORTAL_REPAIR_EXCLUDED_PENALTY_KINDS"),
    Setting("REPAIR_WHILE_RUNNING_PENALTY_KINDS", "责令停止承接新的专利代理业务",
            "Penalty kinds (、-separated) whose decisions can be repaired only once the "
            "restriction has run its course (decision date + suspension months).",
            env="PORTAL_REPAIR_WHILE_RUNNING_PENALTY_KINDS"),
    Setting("REPAIR_DECISION_DAYS", 15,
            "Working days the responsible bureau has to decide a credit repair application.",
            env="PORTAL_REPAIR_DECISION_DAYS", value_type=int),
    Setting("REPAIR_SUBMIT_RATE_LIMIT", "10 per minute;60 per hour",
            "Credit repair applications filed per address (Flask-Limiter syntax); only filed "
            "applications count.", env="PORTAL_REPAIR_SUBMIT_RATE_LIMIT"),
    Setting("TRIAGE_BUREAU_CODE", "140000",
            "The bureau whose queue receives tips no routing rule can place.",
            env="PORTAL_TRIAGE_BUREAU_CODE"),
    Setting("API_RATE_LIMIT", "120 per minute;3000 per hour",
            "Requests to /api/v1/ and /feeds/ per address (Flask-Limiter syntax).",
            env="PORTAL_API_RATE_LIMIT"),
    Setting("API_PAGE_SIZE", 50, "Items per API page unless ?limit= asks for fewer or more.",
            env="PORTAL_API_PAGE_SIZE", value_type=int),
    Setting("API_MAX_PAGE_SIZE", 200, "The largest ?limit= the API accepts.",
            env="PORTAL_API_MAX_PAGE_SIZE", value_type=int),
    Setting("SEARCH_EXPORT_MAX_ROWS", 10000,
            "Most rows a search-results download (/api/v1/search.csv|xlsx) holds; the page "
            "says so when a search finds more.",
            env="PORTAL_SEARCH_EXPORT_MAX_ROWS", value_type=int),
    Setting("OPEN_DATA_LICENCE", "CC BY 4.0",
            "Licence of the open data (API, feeds, downloads), shown with every file.",
            env="PORTAL_OPEN_DATA_LICENCE"),
    Setting("OPEN_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/",
            "Where the open-data licence's text is.", env="PORTAL_OPEN_DATA_LICENCE_URL"),
    Setting("PUBLIC_BASE_URL", "http://127.0.0.1:5000",
            "The portal's public address, for links in mail sent from the command line.",
            env="PORTAL_PUBLIC_BASE_URL"),
    Setting("ALERT_SUBSCRIBE_RATE_LIMIT", "5 per minute;30 per hour",
            "Alert subscriptions per address (Flask-Limiter syntax).",
            env="PORTAL_ALERT_SUBSCRIBE_RATE_LIMIT"),
    Setting("CHECK_RATE_LIMIT", "30 per minute;300 per hour",
            "Shortlist checks (and their downloads) per address (Flask-Limiter syntax).",
            env="PORTAL_CHECK_RATE_LIMIT"),
    Setting("REPORT_RATE_LIMIT", "10 per minute;100 per hour",
            "Reports issued and PDFs rendered per address (Flask-Limiter syntax).",
            env="PORTAL_REPORT_RATE_LIMIT"),
    Setting("CHECK_MAX_UPLOAD_BYTES", 2 * MB,
            "Size limit in bytes of a shortlist file (CSV or XLSX) uploaded to /check.",
            env="PORTAL_CHECK_MAX_UPLOAD_BYTES", value_type=int),
    Setting("ALERT_SCAN_OVERLAP_MINUTES", 60,
            "`portal alerts send` re-reads changes this far before its last run (a late commit "
            "is never missed; deliveries are unique, so nothing is sent twice).",
            env="PORTAL_ALERT_SCAN_OVERLAP_MINUTES", value_type=int),
    # The marks of an official site (footer, privacy policy, accessibility statement).
    Setting("SITE_OWNER", "山西省市场监督管理局（山西省知识产权局）",
            "The body that runs the portal (主办单位), shown in the footer and the policies.",
            env="PORTAL_SITE_OWNER"),
    Setting("SITE_OPERATOR", None,
            "The body that operates it for the owner (承办单位); None: not shown.",
            env="PORTAL_SITE_OPERATOR"),
    Setting("ICP_NUMBER", None,
            "ICP filing number (e.g. 晋ICP备12345678号-1), linked to beian.miit.gov.cn; "
            "None: not shown.  Required before a site in China goes public.",
            env="PORTAL_ICP_NUMBER"),
    Setting("PSB_NUMBER", None,
            "Public-security filing number (e.g. 晋公网安备14010502000001号), linked to "
            "beian.mps.gov.cn; None: not shown.",
            env="PORTAL_PSB_NUMBER"),
    Setting("CONTACT_ADDRESS", None, "Postal address of the owner shown in the footer.",
            env="PORTAL_CONTACT_ADDRESS"),
    Setting("CONTACT_PHONE", "12315",
            "Telephone shown in the footer (12315: the market regulators' national hotline).",
            env="PORTAL_CONTACT_PHONE"),
    Setting("CONTACT_EMAIL", None,
            "E-mail address for questions about the site, privacy and accessibility barriers; "
            "None: not shown.", env="PORTAL_CONTACT_EMAIL"),
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
