"""Values of an agency derived from its public records, stored on the agency row.

``Agency.current_grade`` (the public credit grade with the latest period),
``Agency.active_listing`` (a public list entry not removed) and ``Agency.derived_until``
(the first day on which a record of the agency enters or leaves its publication window,
so the two values may change with no write at all).  The directory's grade filter, its
grade order and every page showing a grade read the stored values instead of computing
them per request.

The register's write services call ``refresh_derived`` in the transaction that changes a
grade or a list entry; ``refresh_stale`` (``portal register refresh``, daily) stores the
values of agencies whose ``derived_until`` has come.  Until it runs, the read side
computes those few agencies' values from the records (``queries``), so a page is never
wrong, only slower.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..timeutil import today as today_cn
from .models import Agency, CreditGrade, ListEntry

BATCH = 500  # agencies per read (keeps IN lists short)


@dataclass(frozen=True)
class Derived:
    current_grade: str | None
    active_listing: bool
    derived_until: dt.date | None


def _public(status: str, published_on: dt.date, ends: dt.date | None, on: dt.date) -> bool:
    return status == "published" and published_on <= on and (ends is None or ends >= on)


def _next_change(status: str, published_on: dt.date, ends: dt.date | None,
                 on: dt.date) -> dt.date | None:
    """The next day after ``on`` on which the record's publicness changes by the calendar."""
    if status != "published":
        return None
    if published_on > on:
        return published_on
    if ends is not None and ends >= on:
        return ends + dt.timedelta(days=1)
    return None


def derive(grades: Iterable[tuple], entries: Iterable[tuple], on: dt.date) -> Derived:
    """The derived values from an agency's grades (period, grade, status, published_on,
    publication_ends_on) and list entries (status, published_on, publication_ends_on,
    removed_on), as of ``on``.  The rule is the one of ``PublicRecord.public_filter``."""
    current: tuple[str, str] | None = None
    changes: list[dt.date] = []
    for period, grade, status, published_on, ends in grades:
        if _public(status, published_on, ends, on) and (current is None or period > current[0]):
            current = (period, grade)
        if (day := _next_change(status, published_on, ends, on)) is not None:
            changes.append(day)
    active = False
    for status, published_on, ends, removed_on in entries:
        if removed_on is not None:
            continue
        active = active or _public(status, published_on, ends, on)
        if (day := _next_change(status, published_on, ends, on)) is not None:
            changes.append(day)
    return Derived(current[1] if current else None, active, min(changes, default=None))


def compute(agency_ids: Iterable[int], on: dt.date | None = None) -> dict[int, Derived]:
    """The derived values of the given agencies, from their records (read only)."""
    on = on or today_cn()
    ids = sorted({i for i in agency_ids if i is not None})
    out: dict[int, Derived] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        grades: dict[int, list[tuple]] = {i: [] for i in chunk}
        entries: dict[int, list[tuple]] = {i: [] for i in chunk}
        for agency_id, *row in db.session.execute(
                select(CreditGrade.agency_id, CreditGrade.period, CreditGrade.grade,
                       CreditGrade.status, CreditGrade.published_on,
                       CreditGrade.publication_ends_on)
                .where(CreditGrade.agency_id.in_(chunk))):
            grades[agency_id].append(tuple(row))
        for agency_id, *row in db.session.execute(
                select(ListEntry.agency_id, ListEntry.status, ListEntry.published_on,
                       ListEntry.publication_ends_on, ListEntry.removed_on)
                .where(ListEntry.agency_id.in_(chunk))):
            entries[agency_id].append(tuple(row))
        for agency_id in chunk:
            out[agency_id] = derive(grades[agency_id], entries[agency_id], on)
    return out


def refresh_derived(agency_ids: Iterable[int], on: dt.date | None = None) -> int:
    """Store the derived values of the given agencies (in the caller's transaction);
    returns how many rows changed."""
    values = compute(agency_ids, on)
    if not values:
        return 0
    current = {row.id: (row.current_grade, bool(row.active_listing), row.derived_until)
               for row in db.session.execute(
                   select(Agency.id, Agency.current_grade, Agency.active_listing,
                          Agency.derived_until).where(Agency.id.in_(list(values))))}
    rows = [{"b_id": agency_id, "b_grade": d.current_grade, "b_active": d.active_listing,
             "b_until": d.derived_until}
            for agency_id, d in values.items()
            if agency_id in current
            and current[agency_id] != (d.current_grade, d.active_listing, d.derived_until)]
    if rows:
        # executemany of one UPDATE by primary key (Core: no unit of work for 100k rows)
        db.session.connection().execute(
            update(Agency.__table__).where(Agency.__table__.c.id == bindparam("b_id"))
            .values(current_grade=bindparam("b_grade"), active_listing=bindparam("b_active"),
                    derived_until=bindparam("b_until")), rows)
        # objects loaded in this session read the new values on next access
        for agency_id in (r["b_id"] for r in rows):
            loaded = db.session.identity_map.get(db.session.identity_key(Agency, agency_id))
            if loaded is not None:
                db.session.expire(loaded, ["current_grade", "active_listing", "derived_until"])
    return len(rows)


def refresh_stale(on: dt.date | None = None) -> int:
    """Store the values of the agencies whose ``derived_until`` has come."""
    on = on or today_cn()
    ids = list(db.session.scalars(select(Agency.id).where(Agency.derived_until <= on)))
    return refresh_derived(ids, on)


def refresh_all(on: dt.date | None = None) -> int:
    """Store the values of every agency (after a bulk load such as ``portal demo``)."""
    ids = list(db.session.scalars(select(Agency.id).order_by(Agency.id)))
    return refresh_derived(ids, on)


# -- the safety net: grades and list entries written through the ORM outside the services
# (tests' factories, a shell) refresh their agencies when the transaction commits -------

PENDING = "register_derived_pending"


@event.listens_for(Session, "after_flush")
def _note_agencies(session, _context) -> None:
    ids = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (CreditGrade, ListEntry)):
            ids.add(obj.agency_id)
            history = inspect(obj).attrs.agency_id.history
            ids.update(history.deleted or ())
    ids.discard(None)
    if ids:
        session.info.setdefault(PENDING, set()).update(ids)


@event.listens_for(Session, "before_commit")
def _refresh_noted(session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()
    ids = session.info.pop(PENDING, None)
    if ids and session is db.session():
        refresh_derived(ids)


@event.listens_for(Session, "after_rollback")
def _forget_noted(session) -> None:
    session.info.pop(PENDING, None)


def stale_exist(on: dt.date | None = None) -> bool:
    """Whether some agency's stored values may be out of date today (one index probe)."""
    on = on or today_cn()
    return db.session.scalar(select(Agency.id).where(Agency.derived_until <= on).limit(1)) \
        is not None
