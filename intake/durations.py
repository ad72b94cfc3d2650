"""What a tip keeps for the public statistics (issue 17, portal.statistics): the China-time
days it was received, accepted and concluded (``received_on``, ``accepted_on``,
``concluded_on``) and the working days from receipt to acceptance and to conclusion
(``accept_working_days``, ``conclude_working_days``).

``intake.workflow`` sets them when each happens (record_submission, accept, the
conclusion; a transfer, which restarts acceptance, clears the acceptance pair), so the
statistics group by stored columns instead of converting timestamps row by row.

The durations count working days in ``(received, end]`` in the nationwide calendar
(``intake.calendar`` with ``province=None``: chinese-calendar plus the administrators'
nationwide ``CalendarDay`` rows), the same for every tip so that medians across provinces
compare like with like.  The calendar can change afterwards: ``intake.calendar`` calls
``recount(day)`` whenever a nationwide day is declared or removed (only the tips whose span
includes that day can change), and ``portal tips recount`` recounts every tip (run it after
upgrading chinese-calendar, which adds the holidays of new years).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import bindparam, or_, select, update

from portal.extensions import db
from portal.timeutil import to_china

from . import calendar
from .models import Tip

BATCH = 5000


def china_date(moment: dt.datetime) -> dt.date:
    """The day in China of a naive UTC timestamp."""
    return cast(dt.datetime, to_china(moment)).date()


def working_days(start: dt.date | None, end: dt.date | None) -> int | None:
    """Working days in ``(start, end]`` in the nationwide calendar (None without both)."""
    if start is None or end is None:
        return None
    return calendar.working_days_between(start, end, province=None)


def recount(day: dt.date | None = None, batch: int = BATCH) -> int:
    """Recount the stored durations from the calendar as it is now: of every tip, or with
    ``day`` only of the tips whose span from receipt to acceptance or conclusion includes
    it.  Flushes; returns how many tips changed."""
    table = Tip.__table__
    where = [Tip.received_on.is_not(None),
             or_(Tip.accepted_on.is_not(None), Tip.concluded_on.is_not(None))]
    if day is not None:
        where += [Tip.received_on < day, or_(Tip.accepted_on >= day, Tip.concluded_on >= day)]
    db.session.flush()
    changed, after = 0, 0
    while True:
        rows = db.session.execute(
            select(Tip.id, Tip.received_on, Tip.accepted_on, Tip.concluded_on,
                   Tip.accept_working_days, Tip.conclude_working_days)
            .where(Tip.id > after, *where).order_by(Tip.id).limit(batch)).all()
        if not rows:
            return changed
        after = rows[-1].id
        updates = _recounted(rows)
        if updates:
            db.session.execute(
                update(table).where(table.c.id == bindparam("tip_id"))
                .values(accept_working_days=bindparam("accept"),
                        conclude_working_days=bindparam("conclude")),
                updates)
            changed += len(updates)
            _expire(updates)


def _expire(updates: list[dict]) -> None:
    """Loaded tips re-read the recounted columns."""
    ids = {u["tip_id"] for u in updates}
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Tip) and obj.id in ids:
            db.session.expire(obj, ["accept_working_days", "conclude_working_days"])


def _recounted(rows) -> list[dict]:
    days = [d for row in rows for d in row[1:4] if d is not None]
    count = calendar.WorkingDayCount(min(days), max(days), province=None)
    out = []
    for tip_id, received, accepted, concluded, accept, conclude in rows:
        new = (count.between(received, accepted) if accepted else None,
               count.between(received, concluded) if concluded else None)
        if new != (accept, conclude):
            out.append({"tip_id": tip_id, "accept": new[0], "conclude": new[1]})
    return out
