"""The register's data version, the shared cache, and HTTP caching of the public pages.

**Data version.**  Every transaction that writes to the register (an ORM flush of an
agency, a record, a bureau, a division or a site fact, or DML through the session on
their tables, or a Core insert noted by the write services) replaces the ``register_version`` row of
``site_meta`` when it commits, in the same transaction: a new random token and the time.
With today's date (publication windows move at midnight) it names the state of the
public register; every process and host sees it change at the commit.

**Shared cache** (Flask-Caching, ``cache``): Redis when ``CACHE_URL`` (or a redis://
``RATELIMIT_STORAGE_URI``) points at one, a per-process dictionary otherwise.  Keys carry
the data version, so a publish invalidates everything at once without deleting anything
(old keys expire).  It holds the counts (home page, open data, unfiltered list totals)
and the rendered public pages.

**HTTP caching.**  The public register pages (``PUBLIC_ENDPOINTS``), asked for by a
visitor without a session, are the same for everyone: they are rendered without a CSRF
token, sent with ``ETag`` / ``Last-Modified`` / ``Cache-Control: public, max-age``, answered
``304`` on a matching conditional request, and kept in the cache for
``PAGE_CACHE_SECONDS``.  Staff and tip pages never get any of this (``security`` marks
them ``no-store``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
import socket
from email.utils import format_datetime

from flask import Flask, Response, current_app, has_request_context, request, session
from flask_babel import get_locale
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from ..cases.models import CaseLink, CaseTag, TypicalCase  # issue 14 — typical cases
from ..check.models import SiteText
from ..extensions import cache, db
from ..htmx import is_partial
from ..timeutil import today as today_cn
from ..timeutil import utcnow
from .models import (
    Agency,
    AgencyFormerName,
    Agent,  # issue 14 — patent agents
    AgentPractice,
    AssociationMeasure,  # issue 14 — association measures
    AssociationMeasureKind,
    Bureau,
    CreditGrade,
    Division,
    ListEntry,
    Penalty,
    SiteMeta,
    SpotCheck,
)

VERSION_KEY = "register_version"
CHANGED = "register_changed"  # session.info flag: this transaction wrote to the register
MEMO = "portal.register_version"  # the version, read once per request
PUBLIC = "portal.shared_page"  # set on a shared request: {"etag": …, "hit": …}
HOST = socket.gethostname()
RELEASE = "portal.page_release"  # app.extensions: the release_token of the running code

# What the public pages show: the register, its bureaus and divisions, the site's facts
# and the wording an administrator edits (the profile's attention panel).
REGISTER_MODELS = (Agency, AgencyFormerName, SpotCheck, Penalty, CreditGrade, ListEntry,
                   Bureau, Division, SiteMeta, SiteText)
# issue 14 — typical cases: shown on the register's pages (profiles, records, /cases/)
REGISTER_MODELS += (TypicalCase, CaseTag, CaseLink)
# issue 14 — association measures: the records and their vocabulary (names on the pages)
REGISTER_MODELS += (AssociationMeasure, AssociationMeasureKind)
# issue 14 — patent agents: the agents' pages and the profiles' lists of agents
REGISTER_MODELS += (Agent, AgentPractice)
REGISTER_TABLES = frozenset(m.__tablename__ for m in REGISTER_MODELS)

# Pages answered from this host's search index as well: it may lag the data version (a
# follower catching up, a rebuild), so their version also names the index's state
# (``Engine.index_version``) and the host.
INDEX_ENDPOINTS = frozenset({"search.search"})

# Pages that show the public register and nothing about the visitor.
PUBLIC_ENDPOINTS = INDEX_ENDPOINTS | frozenset({
    # The agency's profile too: its report button leads to a page that asks to issue the
    # report (check.confirm_report) when the page is shared.
    "register.home", "register.agencies", "register.agency", "register.bureaus",
    "register.open_data",
    "register.penalties", "register.penalty", "register.spot_checks", "register.spot_check",
    "register.credit_grades", "register.credit_grade", "register.list_entries",
    "register.list_entry",
    # issue 14 — typical cases: the public list and case pages
    "cases.index", "cases.detail",
    # issue 14 — association measures: the public list and measure pages
    "register.association_measures", "register.association_measure",
    # issue 14 — patent agents: the list and an agent's page (public data only)
    "register.agents", "register.agent",
})


# -- the data version -------------------------------------------------------------

def mark_changed(session: Session) -> None:
    """Note that ``session``'s transaction wrote to the register."""
    session.info[CHANGED] = True


@event.listens_for(Session, "after_flush")
def _mark_after_flush(session, _context) -> None:
    if any(isinstance(obj, REGISTER_MODELS)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        mark_changed(session)


@event.listens_for(Session, "do_orm_execute")
def _mark_after_dml(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is None or getattr(table, "name", None) in REGISTER_TABLES:
            mark_changed(state.session)


@event.listens_for(Session, "before_commit")
def _bump_version(session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook: see what it writes first
    if not session.info.pop(CHANGED, False):
        return
    value = f"{secrets.token_hex(8)} {utcnow().isoformat(timespec='seconds')}"
    conn = session.connection()
    table = SiteMeta.__table__
    done = conn.execute(update(table).where(table.c.key == VERSION_KEY).values(value=value))
    if done.rowcount == 0:
        conn.execute(table.insert().values(key=VERSION_KEY, value=value))


@event.listens_for(Session, "after_rollback")
def _forget_mark(session) -> None:
    session.info.pop(CHANGED, None)


_VERSION_QUERY = select(SiteMeta.__table__.c.value).where(SiteMeta.__table__.c.key == VERSION_KEY)

_VERSION_SQL: dict[str, str] = {}


def _read_version() -> str | None:
    """The version row, read on a pooled DBAPI connection of its own: not the request's
    session (a page answered from the cache never opens a session transaction) and not
    through SQLAlchemy's execution layer, which costs three times the query on a page
    answered from the cache."""
    engine = db.engine
    sql = _VERSION_SQL.get(engine.dialect.name)
    if sql is None:  # the statement as this database spells it, constants inlined
        sql = _VERSION_SQL[engine.dialect.name] = str(_VERSION_QUERY.compile(
            dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(sql)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        conn.close()  # back to the pool, which ends the transaction
    return row[0] if row else None


def data_version() -> tuple[str, dt.datetime]:
    """(version, last modified): the register's current state, read once per request."""
    # memo on the request (g belongs to the application context, which may outlive it)
    memo = request.environ.get(MEMO) if has_request_context() else None
    if memo is not None:
        return memo
    try:
        value = _read_version()
    except Exception:  # noqa: BLE001 - before migrations ran, nothing is cached
        value = None
    token, _, at = (value or "0 ").partition(" ")
    day = today_cn()
    start_of_day = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    try:
        changed = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC) if at else None
    except ValueError:
        changed = None
    modified = max(changed, start_of_day) if changed else start_of_day
    memo = (f"{token}-{day.isoformat()}", modified.astimezone(dt.UTC))
    if has_request_context():
        request.environ[MEMO] = memo
    return memo


def cached(name: str, compute, timeout: int = 24 * 3600):
    """``compute()`` for the current data version, from the shared cache when it has it."""
    key = f"register:{name}:{data_version()[0]}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=timeout)
    return value


def forget(name: str) -> None:
    cache.delete(f"register:{name}:{data_version()[0]}")


# -- HTTP caching of the public pages -------------------------------------------------

def _shared_request() -> bool:
    """A GET of a public page by a visitor without a session (nothing personal to show)."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in PUBLIC_ENDPOINTS:
        return False
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return False
    return "lang" not in request.args  # ?lang= sets the language cookie


def _etag(version: str) -> str:
    release = current_app.extensions.get(RELEASE, "")
    raw = f"{version}|{release}|{get_locale()}|{int(is_partial())}|{_index_part()}"
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def _index_part() -> str:
    """For a page answered from the search index: this host and its index's state."""
    if request.endpoint not in INDEX_ENDPOINTS:
        return ""
    engine = current_app.extensions.get("search")
    return f"{HOST}:{engine.index_version() if engine is not None else 'none'}"


def _page_key(etag: str) -> str:
    return f"page:{etag}:{request.full_path}"


def _not_modified(etag: str, modified: dt.datetime) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    if request.endpoint in INDEX_ENDPOINTS:  # the index changes apart from the data
        return False
    since = request.if_modified_since
    return since is not None and since >= modified.replace(microsecond=0)


def serve_shared_page() -> Response | None:
    """before_request: a 304 or the cached page for a shared request, else None."""
    if not _shared_request():
        return None
    request.environ[PUBLIC] = {}
    version, modified = data_version()
    etag = _etag(version)
    request.environ[PUBLIC]["etag"] = etag
    if _not_modified(etag, modified):
        return Response(status=304)
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    if seconds > 0:
        body = cache.get(_page_key(etag))
        if body is not None:
            request.environ[PUBLIC]["hit"] = True
            return Response(body, mimetype="text/html")
    return None


def mark_shared_page(response: Response) -> Response:
    """after_request: cache headers (and the page cache) for shared pages."""
    shared = request.environ.get(PUBLIC)
    if shared is None:
        return response
    if (session.modified or response.headers.getlist("Set-Cookie")
            or response.status_code not in (200, 304)):
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    version, modified = data_version()
    response.set_etag(shared["etag"], weak=True)
    if request.endpoint not in INDEX_ENDPOINTS:
        response.headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    response.headers["Cache-Control"] = (
        f"public, max-age={current_app.config['PUBLIC_MAX_AGE_SECONDS']}")
    response.vary.add("Cookie")  # the language cookie
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    if (seconds > 0 and response.status_code == 200 and not shared.get("hit")
            and not response.is_streamed and response.mimetype == "text/html"):
        cache.set(_page_key(shared["etag"]), response.get_data(), timeout=seconds)
    return response


# -- the cache's configuration ---------------------------------------------------------

def cache_config(app: Flask) -> dict:
    url = app.config.get("CACHE_URL") or ""
    limiter = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
    if not url and limiter.startswith(("redis://", "rediss://")):
        url = limiter
    if url.startswith(("redis://", "rediss://")):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url,
                "CACHE_KEY_PREFIX": "portal:", "CACHE_DEFAULT_TIMEOUT": 300}
    if url in ("", "simple://"):
        return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300,
                "CACHE_THRESHOLD": 2000}
    if url == "null://":
        return {"CACHE_TYPE": "NullCache"}
    raise ValueError(f"PORTAL_CACHE_URL: redis://…, simple:// or null://, not {url!r}")


def is_shared_page() -> bool:
    """Whether this request's page is shared (rendered with nothing personal: no CSRF token)."""
    return has_request_context() and PUBLIC in request.environ


def release_token(app: Flask) -> str:
    """What the pages are made from besides the data: the code, templates and catalogues
    (their newest modification time and count).  A deploy changes it, so neither the
    shared cache (which outlives a restart in Redis) nor a browser keeps an old page."""
    newest, count = 0, 0
    project = os.path.dirname(app.root_path)
    roots = [os.path.join(project, package) for package in ("portal", "intake", "search")]
    for root in [*roots, os.path.join(app.root_path, app.template_folder or "templates")]:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                if name.endswith((".py", ".html", ".mo", ".txt", ".xml")):
                    with contextlib.suppress(OSError):
                        newest = max(newest, os.stat(os.path.join(dirpath, name)).st_mtime_ns)
                        count += 1
    return f"{newest:x}.{count:x}"


def init_app(app: Flask) -> None:
    app.extensions[RELEASE] = release_token(app)
    cache.init_app(app, config=cache_config(app))
    app.context_processor(lambda: {"shared_page": is_shared_page()})
    # As the blueprints' own hooks: they run after every application-wide before_request
    # (request id, metrics, session lifetime) and before the application-wide after_request.
    for blueprint in sorted({e.partition(".")[0] for e in PUBLIC_ENDPOINTS}):
        app.before_request_funcs.setdefault(blueprint, []).append(serve_shared_page)
        app.after_request_funcs.setdefault(blueprint, []).append(mark_shared_page)
