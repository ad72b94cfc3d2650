"""Who may do what: pure predicates, used by views, services and templates alike.

Roles (portal.auth.models.ROLES):
- staff: works the tips of their own bureau;
- lead: as staff, and also assigns, approves conclusions and publishes records;
- admin: provincial administrator: every bureau in their province (triage queue,
  reassign, supervise, manage staff, bureaus, routing rules), and publishes
  credit grades and list entries.
"""

from __future__ import annotations

from typing import Any


class Forbidden(Exception):
    """Raised by services when the actor may not do this; views answer 403."""


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def in_jurisdiction(user: Any, bureau: Any) -> bool:
    """The user's own bureau, or, for a provincial administrator, any bureau in the province."""
    if not _signed_in(user) or bureau is None:
        return False
    if user.bureau_id == bureau.id:
        return True
    return user.role == "admin" and user.bureau.level == "province" and (
        bureau.code[:2] == user.bureau.code[:2]
    )


# -- tips ------------------------------------------------------------------

def can_view_tip(user: Any, tip: Any) -> bool:
    return in_jurisdiction(user, tip.bureau)


def can_view_reporter(user: Any, tip: Any) -> bool:
    """The reporter's identity and contact: only staff of the bureau handling the tip."""
    return _signed_in(user) and user.bureau_id == tip.bureau_id


def require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()
