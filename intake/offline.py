"""The tip form when the database cannot answer.

A POST during a database outage gets the form back (503) with everything typed: the
province / city / district lists and the domicile list then come from this process's copy
of the divisions (taken, and renewed hourly, while the form renders from the database).
A process that never reached the database keeps at least the chosen codes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from portal.extensions import db
from portal.register.models import Division

from .places import Cascade, build_cascade, group_domiciles

RENEW_SECONDS = 3600


@dataclass(frozen=True)
class Place:
    """What the form reads of a division."""

    code: str
    name: str
    level: str
    parent_code: str | None


_copy: dict = {"rows": (), "taken": 0.0}
_lock = threading.Lock()


def remember() -> None:
    """Take this process's copy of the divisions, or renew it once it is an hour old
    (one query; called when the form renders from the database)."""
    if _copy["rows"] and time.monotonic() - _copy["taken"] < RENEW_SECONDS:
        return
    with _lock:
        rows = db.session.execute(
            db.select(Division.code, Division.name, Division.level, Division.parent_code)
            .order_by(Division.code)).all()
        _copy["rows"] = tuple(Place(*row) for row in rows)
        _copy["taken"] = time.monotonic()


def forget() -> None:
    """Drop the copy (tests)."""
    _copy["rows"], _copy["taken"] = (), 0.0


def _rows() -> tuple[Place, ...]:
    return _copy["rows"]


def _children(parent: str, level: str) -> list:
    return [d for d in _rows() if d.parent_code == parent and d.level == level]


def _known(code: str, level: str, parent: str | None) -> list:
    """A chosen code this process has no copy of: kept, shown as its code."""
    return [Place(code, code, level, parent)] if code and not _rows() else []


def cascade(province: str | None, city: str | None, district: str | None) -> Cascade:
    """``places.cascade`` from the copy."""
    chosen = {"city": city or "", "district": district or ""}

    def children(parent: str, level: str) -> list:
        return _children(parent, level) or _known(chosen[level], level, parent)

    province_list = ([d for d in _rows() if d.level == "province"]
                     or _known(province or "", "province", None))
    return build_cascade(province_list, children, province, city, district)


def domicile_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """``places.domicile_groups`` from the copy."""
    return group_domiciles(_rows())
