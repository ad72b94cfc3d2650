"""Who may do what: pure predicates, used by views, services and templates alike.

Roles (portal.auth.models.Role):
- staff: works the tips of their own bureau;
- lead: as staff, and also assigns, approves conclusions and publishes records;
- admin: provincial administrator: every bureau in their province (triage queue,
  reassign, supervise, manage staff, bureaus, routing rules), and publishes
  credit grades and list entries.
"""

from __future__ import annotations

from typing import Any

from ..errors import PortalError
from ..register.divisions import CITY, DISTRICT, PROVINCE, same_province, within
from .models import Role


class Forbidden(PortalError):
    """Raised by services when the actor may not do this; views answer 403."""

    status = 403


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def in_jurisdiction(user: Any, bureau: Any) -> bool:
    """The user's own bureau, or, for a provincial administrator, any bureau in the province."""
    if not _signed_in(user) or bureau is None:
        return False
    if user.bureau_id == bureau.id:
        return True
    return is_provincial_admin(user) and same_province(bureau.code, user.bureau.code)


# -- tips ------------------------------------------------------------------

def supervises(user: Any, bureau: Any) -> bool:
    """Oversight (reading, not acting): the user's jurisdiction, and for the lead of a city
    bureau the bureaus of the districts under the city."""
    if in_jurisdiction(user, bureau):
        return True
    return (_signed_in(user) and bureau is not None and user.role == Role.LEAD
            and user.bureau.level == CITY and bureau.level == DISTRICT
            and within(bureau.code, user.bureau.code, CITY))


def can_view_tip(user: Any, tip: Any) -> bool:
    """Reading a tip: its supervisors too.  Acting on it (intake.workflow) and its evidence
    files need ``in_jurisdiction``."""
    return supervises(user, tip.bureau)


def can_view_reporter(user: Any, tip: Any) -> bool:
    """The reporter's identity and contact: only staff of the bureau handling the tip."""
    return _signed_in(user) and user.bureau_id == tip.bureau_id


def can_download_attachment(user: Any, attachment: Any) -> bool:
    """Evidence files: only staff with jurisdiction over the tip's current bureau."""
    return attachment is not None and in_jurisdiction(user, attachment.tip.bureau)


def can_read_audit(user: Any, bureau: Any) -> bool:
    """The access audit (who viewed a reporter's identity, who downloaded evidence) of a
    bureau: its lead, and the provincial administrator for every bureau of the province."""
    if is_provincial_admin(user):
        return in_jurisdiction(user, bureau)
    return (_signed_in(user) and bureau is not None and user.role == Role.LEAD
            and user.bureau_id == bureau.id)


def can_edit_tip_texts(user: Any) -> bool:
    """The texts reporters read about their tip (e.g. "what next"): the provincial admin."""
    return is_provincial_admin(user)


def is_provincial_admin(user: Any) -> bool:
    return _signed_in(user) and user.role == Role.ADMIN and user.bureau.level == PROVINCE


# -- the register ------------------------------------------------------------

# Kinds a bureau lead publishes for their own bureau; the provincial
# administrator publishes every kind for any bureau of the province.
LEAD_KINDS = ("spot_check", "penalty")
ADMIN_KINDS = ("spot_check", "penalty", "credit_grade", "list_entry")


def can_publish(user: Any, kind: str, bureau: Any) -> bool:
    if not _signed_in(user) or bureau is None:
        return False
    if is_provincial_admin(user):
        return kind in ADMIN_KINDS and in_jurisdiction(user, bureau)
    return user.role == Role.LEAD and kind in LEAD_KINDS and user.bureau_id == bureau.id


def record_bureau(record: Any) -> Any:
    """The bureau a record belongs to: its publisher, else the agency's bureau."""
    bureau = getattr(record, "bureau", None)
    if bureau is None and getattr(record, "agency", None) is not None:
        bureau = record.agency.bureau
    return bureau


def can_edit_record(user: Any, record: Any) -> bool:
    return can_publish(user, record.KIND, record_bureau(record))


def publishable_kinds(user: Any) -> list[str]:
    if is_provincial_admin(user):
        return list(ADMIN_KINDS)
    if _signed_in(user) and user.role == Role.LEAD:
        return list(LEAD_KINDS)
    return []


# -- administration ------------------------------------------------------------

def can_manage_staff(user: Any, bureau: Any = None) -> bool:
    return is_provincial_admin(user) and (bureau is None or in_jurisdiction(user, bureau))


def can_view_dashboard(user: Any, bureau: Any) -> bool:
    return in_jurisdiction(user, bureau)
