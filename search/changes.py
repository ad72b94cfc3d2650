"""The index change log: how every host's index follows the database.

Every change to a searchable row writes its key to ``search_change`` **in the same
transaction** (``search.indexing`` does it from the session hooks), so the log holds
exactly what was committed.  Each host applies the log to its own index, in order, and
remembers how far it got in ``<index root>/follow.json``:

* after a commit, the request catches its host up at once (``SEARCH_APPLY_ON_COMMIT``,
  on by default: a publisher sees their record in search straight away);
* ``portal search follow`` (one per host, a systemd unit in ``deploy/``) catches up in a
  loop, woken by PostgreSQL ``NOTIFY search_change`` (polling on SQLite), so that a host
  that did not make the change learns of it within a second;
* a crash between a commit and its indexing loses nothing: the rows stay in the log until
  some catch-up applies them (applying a key twice re-reads the row: no duplicates).

Ids are handed out when a row is inserted but become visible at commit, so on PostgreSQL a
later id can be seen before an earlier one.  An id skipped over is remembered as a *hole*
and looked for again until it appears or ``HOLE_TIMEOUT`` passes (a rolled-back
transaction leaves holes that never fill).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

CHANNEL = "search_change"
BATCH = 2000  # change rows applied per step
HOLE_TIMEOUT = 3600  # seconds an unseen id is looked for (longer than any transaction)
RETENTION_DAYS = 7  # change rows older than this are pruned by the follower
STATE_FILE = "follow.json"


class SearchChange(db.Model):  # type: ignore[name-defined]  # a dynamic base class
    """One committed change to a searchable row: its key ("kind:id", or "cascade:<agency
    id>" when an agency's name or place changed and its records must follow)."""

    __tablename__ = "search_change"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                    primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(sa.String(60))
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)


def log_keys(session: Session, keys) -> None:
    """Write ``keys`` to the log in ``session``'s transaction (and wake the followers
    when it commits, on PostgreSQL)."""
    keys = sorted(keys)
    if not keys:
        return
    conn = session.connection()
    now = utcnow()
    conn.execute(sa.insert(SearchChange), [{"key": k, "at": now} for k in keys])
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_notify(CHANNEL, "")))


# -- a host's position in the log -------------------------------------------------


@dataclass
class Position:
    """How far this host's index has applied the log: every id up to ``last`` except the
    ``holes`` (id -> when first missed, epoch seconds)."""

    last: int = 0
    holes: dict[int, float] = field(default_factory=dict)

    @classmethod
    def load(cls, root: str) -> Position | None:
        try:
            with open(os.path.join(root, STATE_FILE), encoding="utf-8") as fh:
                raw = json.load(fh)
        except (FileNotFoundError, ValueError):
            return None
        return cls(int(raw["last"]), {int(k): float(v) for k, v in raw["holes"].items()})

    def save(self, root: str) -> None:
        os.makedirs(root, exist_ok=True)
        tmp = os.path.join(root, STATE_FILE + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"last": self.last, "holes": self.holes}, fh)
        os.replace(tmp, os.path.join(root, STATE_FILE))


def newest_id(session) -> int:
    return session.scalar(sa.select(sa.func.max(SearchChange.id))) or 0


@contextlib.contextmanager
def _catch_up_lock(root: str):
    """One catch-up at a time per host (requests of every worker and the follower)."""
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "follow.lock"), "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def catch_up(app=None, limit_steps: int | None = None) -> int:
    """Apply what this host's index has not applied yet; returns how many keys."""
    from . import get_engine
    from .indexing import index_keys

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    engine = get_engine(app)
    if engine.name == "none":
        return 0
    applied = 0
    with app.app_context(), _catch_up_lock(engine.root):
        # No position yet: an index this host has never caught up (new, or built before
        # the log existed, when the log started empty): everything in the log applies.
        position = Position.load(engine.root) or Position()
        steps = 0
        while limit_steps is None or steps < limit_steps:
            steps += 1
            with Session(db.engine) as session:
                rows = _unapplied(session, position)
                if not rows and steps == 1 and position.last > newest_id(session):
                    # Ahead of the log: the database was replaced (a restore): start over.
                    log.warning("search: the change log restarted below this index's "
                                "position; applying all of it (`portal search rebuild` to be "
                                "sure)")
                    position = Position()
                    rows = _unapplied(session, position)
            if not rows:
                break
            keys = {key for _id, key in rows}
            index_keys(keys, app)  # raises: the position stays, the next catch-up retries
            _advance(position, [i for i, _k in rows])
            position.save(engine.root)
            applied += len(keys)
            if len(rows) < BATCH:
                break
    return applied


def _unapplied(session, position: Position) -> list[tuple[int, str]]:
    query = sa.select(SearchChange.id, SearchChange.key).order_by(SearchChange.id)
    rows = list(session.execute(query.where(SearchChange.id > position.last).limit(BATCH)))
    if position.holes:
        found = session.execute(query.where(SearchChange.id.in_(sorted(position.holes))))
        rows = sorted({*rows, *found})
    return [(int(i), k) for i, k in rows]


def _advance(position: Position, ids: list[int]) -> None:
    """Mark ``ids`` applied: ids skipped over become holes, holes that showed up close,
    holes older than HOLE_TIMEOUT are given up."""
    now = time.time()
    seen = set(ids)
    for i in seen & set(position.holes):
        del position.holes[i]
    top = max(seen)
    if top > position.last:
        for missing in range(position.last + 1, top):
            if missing not in seen:
                position.holes[missing] = now
        position.last = top
    for i, since in list(position.holes.items()):
        if now - since > HOLE_TIMEOUT:
            del position.holes[i]


def lag_seconds(app=None) -> float:
    """Age in seconds of the oldest change this host's index has not applied (0: none)."""
    from . import get_engine

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    engine = get_engine(app)
    if engine.name == "none":
        return 0.0
    position = Position.load(engine.root) or Position()  # never caught up: all of it
    with app.app_context(), Session(db.engine) as session:
        oldest = session.scalar(sa.select(sa.func.min(SearchChange.at))
                                .where(SearchChange.id > position.last))
    if oldest is None:
        return 0.0
    return max(0.0, (utcnow() - oldest).total_seconds())


def prune(session, days: int = RETENTION_DAYS) -> int:
    cutoff = utcnow() - dt.timedelta(days=days)
    result = session.execute(sa.delete(SearchChange).where(SearchChange.at < cutoff))
    session.commit()
    return result.rowcount or 0


def reset_after_rebuild(root: str, position: Position) -> None:
    """A rebuild read the database after ``position`` was taken: keep that position, so
    whatever changed while it ran is applied again (harmless) rather than missed."""
    position.save(root)


# -- the follower ---------------------------------------------------------------


def follow(app, poll: float = 1.0, stop=None) -> None:
    """Catch up, then wait for a NOTIFY (PostgreSQL) or ``poll`` seconds, for ever (or until
    ``stop()`` is true).  Errors are logged and retried after a pause."""
    waiter = _Waiter(app, poll)
    last_prune = 0.0
    try:
        while not (stop and stop()):
            try:
                catch_up(app)
                if time.monotonic() - last_prune > 3600:
                    with app.app_context(), Session(db.engine) as session:
                        prune(session)
                    last_prune = time.monotonic()
            except Exception:  # noqa: BLE001 - a follower keeps going; the log keeps the work
                log.exception("search follow: catching up failed; retrying")
                time.sleep(min(poll * 5, 10))
            waiter.wait()
    finally:
        waiter.close()


class _Waiter:
    """Waits for the next change: LISTEN on PostgreSQL, a sleep elsewhere."""

    def __init__(self, app, poll: float) -> None:
        self.poll = poll
        self.conn = None
        with app.app_context():
            engine = db.engine
        if engine.dialect.name == "postgresql":
            import psycopg

            url = engine.url.set(drivername="postgresql")
            options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
            self.conn = psycopg.connect(url.render_as_string(hide_password=False),
                                        autocommit=True, **options.get("connect_args", {}))
            self.conn.execute(f"LISTEN {CHANNEL}")

    def wait(self) -> None:
        if self.conn is None:
            time.sleep(self.poll)
            return
        for _note in self.conn.notifies(timeout=max(self.poll, 1.0) * 5, stop_after=1):
            break

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
