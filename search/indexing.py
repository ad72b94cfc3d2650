"""Keeping the index in step with the database: SQLAlchemy session hooks.

* ``after_flush`` notes which searchable rows the flush touched (keys only) and writes
  them to the change log (``search.changes``) in the same transaction; an agency whose
  name or division changed (or whose former names changed) is logged as a cascade, since
  its records carry its name and region.  ``before_commit`` logs the rows the register's
  bulk inserts noted (``note_written``).
* ``after_commit`` catches this host's index up with the log (``SEARCH_APPLY_ON_COMMIT``):
  the rows are re-read in a fresh session, so what reaches the index is always what the
  database committed.  Other hosts learn of it through ``portal search follow``.
* Indexing never makes a commit fail: an error is logged and the change stays in the log
  for the next catch-up; ``portal search check`` reports drift, ``rebuild`` rebuilds.
"""

from __future__ import annotations

import itertools
import logging
import time
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from portal.cases.models import CaseTag, TypicalCase  # issue 14 — typical cases
from portal.register import kinds as register_kinds
from portal.register.models import (  # issue 14 — patent agents: Agent, AgentPractice
    WRITTEN_ROWS,
    Agency,
    AgencyFormerName,
    Agent,
    AgentPractice,
)

from .changes import catch_up, log_keys
from .documents import AGENT, CASE, analyse, key_of, load_documents, make_key, record_keys_of_agency

log = logging.getLogger(__name__)
PENDING = "search_pending"
LOGGED = "search_logged"  # keys already written to the change log in this transaction
# issue 14 — association measures: every kind of the registry (portal.register.kinds)
RECORD_TYPES = tuple(kind.model for kind in register_kinds.KINDS)
_registered = False


def _agency_changed(obj: Agency) -> bool:
    state: Any = inspect(obj)
    return any(state.attrs[a].history.has_changes() for a in ("name", "division_code"))


def _indexing(session: Session) -> bool:
    return (has_app_context() and "search" in current_app.extensions
            and current_app.extensions["search"].name != "none")


def _after_flush(session: Session, flush_context) -> None:
    if not _indexing(session):
        return
    pending: set[str] = session.info.setdefault(PENDING, set())
    dirty = session.dirty
    for obj in itertools.chain(session.new, dirty, session.deleted):
        if isinstance(obj, Agency):
            pending.add(key_of(obj))
            if obj in dirty and _agency_changed(obj):
                pending.add(f"cascade:{obj.id}")
        elif isinstance(obj, (*RECORD_TYPES, TypicalCase)):  # issue 14 — and typical cases
            pending.add(key_of(obj))
        elif isinstance(obj, CaseTag) and obj.case_id:  # issue 14 — a case's tags changed
            pending.add(make_key(CASE, obj.case_id))
        elif isinstance(obj, Agent):  # issue 14 — patent agents
            pending.add(key_of(obj))
        elif isinstance(obj, AgentPractice):  # issue 14 — a period changed: its agent
            agent_id = obj.agent_id or (obj.agent.id if obj.agent is not None else None)
            if agent_id:
                pending.add(make_key(AGENT, agent_id))
        elif isinstance(obj, AgencyFormerName):
            agency_id = obj.agency_id or (obj.agency.id if obj.agency is not None else None)
            if agency_id:
                pending.add(make_key("agency", agency_id))
                pending.add(f"cascade:{agency_id}")
    _log_new(session, pending)


def _log_new(session: Session, keys: set[str]) -> None:
    logged: set[str] = session.info.setdefault(LOGGED, set())
    new = keys - logged
    if new:
        log_keys(session, new)
        logged |= new


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction() or not _indexing(session):
        return
    noted = session.info.get(PENDING, set()) | session.info.get(WRITTEN_ROWS, set())
    if noted:
        _log_new(session, noted)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT was released: the outer transaction has not committed yet.
        return
    logged = session.info.pop(LOGGED, set())
    session.info.pop(PENDING, None)
    session.info.pop(WRITTEN_ROWS, None)
    if not logged or not has_app_context() or not current_app.config["SEARCH_APPLY_ON_COMMIT"]:
        return
    try:
        catch_up()
    except Exception:  # never fail the commit that already happened
        log.exception("search: indexing %d changed rows failed; they stay in the change "
                      "log for the next catch-up", len(logged))


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    # Fires for every rollback.  A rolled-back SAVEPOINT keeps the outer
    # transaction's notes (re-reading a row that did not change is harmless, missing one
    # that did is not) but loses its change-log rows: log them again at the next flush.
    # (``after_rollback`` is not used: it also fires for a SAVEPOINT.)
    session.info.pop(LOGGED, None)
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(WRITTEN_ROWS, None)


def register_hooks() -> None:
    global _registered
    if _registered:
        return
    from flask_sqlalchemy.session import Session as FlaskSession

    event.listen(FlaskSession, "after_flush", _after_flush)
    event.listen(FlaskSession, "before_commit", _before_commit)
    event.listen(FlaskSession, "after_commit", _after_commit)
    event.listen(FlaskSession, "after_soft_rollback", _after_soft_rollback)
    _registered = True


def index_keys(keys, app=None) -> tuple[int, int]:
    """Re-read ``keys`` ("kind:id" or "cascade:<agency id>") and write them; returns counts."""
    from portal.extensions import db

    from . import get_engine, get_segmenter

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    engine = get_engine(app)
    if engine.name == "none":
        return 0, 0
    started = time.perf_counter()
    with Session(db.engine) as session:
        plain = {k for k in keys if not k.startswith("cascade:")}
        for k in keys:
            if k.startswith("cascade:"):
                plain.update(record_keys_of_agency(session, int(k.split(":", 1)[1])))
        docs = load_documents(session, sorted(plain))
    seg = get_segmenter(app)
    upserts = [analyse(d, seg) for d in docs.values() if d is not None]
    deletes = [k for k, d in docs.items() if d is None]
    engine.write(upserts, deletes)
    log.debug("search: indexed %d, deleted %d in %.1f ms", len(upserts), len(deletes),
              (time.perf_counter() - started) * 1000)
    return len(upserts), len(deletes)
