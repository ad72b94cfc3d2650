"""Who may do what: pure predicates, used by views, services and templates alike.

Roles (portal.auth.models.Role):
- staff: works the tips of their own bureau;
- lead: as staff, and also assigns, approves conclusions and publishes records;
- admin: provincial administrator: every bureau in their province (triage queue,
  reassign, supervise, manage staff, bureaus, routing rules), and publishes
  credit grades and list entries.
- association: the association publisher (issue 14): publishes, corrects and withdraws
  association self-discipline measures, and edits their vocabulary; nothing of the tip
  side (``works_tips`` is False: no queue, tip, evidence, dashboard or audit).
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


def works_tips(user: Any) -> bool:
    """Bureau staff, leads and administrators work tips; the association publisher does not
    (issue 14 — association measures)."""
    return _signed_in(user) and user.role in (Role.STAFF, Role.LEAD, Role.ADMIN)


def in_jurisdiction(user: Any, bureau: Any) -> bool:
    """The user's own bureau, or, for a provincial administrator, any bureau in the province.
    Only for the roles that work tips (``works_tips``)."""
    if not works_tips(user) or bureau is None:
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
    return (works_tips(user) and bureau is not None and user.role == Role.LEAD
            and user.bureau.level == CITY and bureau.level == DISTRICT
            and within(bureau.code, user.bureau.code, CITY))


def can_view_tip(user: Any, tip: Any) -> bool:
    """Reading a tip: its supervisors too.  Acting on it (intake.workflow) and its evidence
    files need ``in_jurisdiction``."""
    return supervises(user, tip.bureau)


def can_view_reporter(user: Any, tip: Any) -> bool:
    """The reporter's identity and contact: only staff of the bureau handling the tip."""
    return works_tips(user) and user.bureau_id == tip.bureau_id


def can_download_attachment(user: Any, attachment: Any) -> bool:
    """Evidence files: only staff with jurisdiction over the tip's current bureau."""
    return attachment is not None and in_jurisdiction(user, attachment.tip.bureau)


def can_read_audit(user: Any, bureau: Any) -> bool:
    """The access audit (who viewed a reporter's identity, who downloaded evidence) of a
    bureau: its lead, and the provincial administrator for every bureau of the province."""
    if is_provincial_admin(user):
        return in_jurisdiction(user, bureau)
    return (works_tips(user) and bureau is not None and user.role == Role.LEAD
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
ADMIN_KINDS = ("spot_check", "penalty", "credit_grade", "list_entry",
               "association_measure")  # issue 14 — association measures
# issue 14 — association measures: the association publisher publishes these only, for
# the bureau its account belongs to.
ASSOCIATION_KINDS = ("association_measure",)


def can_publish(user: Any, kind: str, bureau: Any) -> bool:
    if not _signed_in(user) or bureau is None:
        return False
    if user.role == Role.ASSOCIATION:  # issue 14 — association measures
        return kind in ASSOCIATION_KINDS and user.bureau_id == bureau.id
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
    if _signed_in(user) and user.role == Role.ASSOCIATION:  # issue 14 — association measures
        return list(ASSOCIATION_KINDS)
    return []


# -- issue 14 — association measures (行业自律惩戒) ------------------------------------------

def can_manage_measure_kinds(user: Any) -> bool:
    """The vocabulary of self-discipline measures: the association publisher and the
    provincial administrator."""
    return _signed_in(user) and (user.role == Role.ASSOCIATION or is_provincial_admin(user))


# -- issue 14 — typical cases (典型案例) ------------------------------------------------

def can_publish_case(user: Any, bureau: Any) -> bool:
    """Writing and publishing typical cases for ``bureau``: its lead, the association's
    publisher (whose account belongs to it), or the provincial administrator."""
    if not _signed_in(user) or bureau is None:
        return False
    if is_provincial_admin(user):
        return in_jurisdiction(user, bureau)
    return user.role in (Role.LEAD, Role.ASSOCIATION) and user.bureau_id == bureau.id


def can_edit_case(user: Any, case: Any) -> bool:
    """A case of the user's bureau; the association's cases are the association's own (a
    bureau lead does not edit them, nor the association a bureau's); the provincial
    administrator edits every case of the province."""
    if case is None or not can_publish_case(user, case.bureau):
        return False
    if is_provincial_admin(user):
        return True
    return (case.publisher_kind == "association") == (user.role == Role.ASSOCIATION)


# -- issue 14 — credit repair applications (信用修复) -------------------------------------

def can_work_repair(user: Any, application: Any) -> bool:
    """Reading an application, its files, confirming the applicant's identity: staff of the
    responsible bureau (the record's publisher), and the provincial administrator."""
    return application is not None and in_jurisdiction(user, application.bureau)


def can_decide_repair(user: Any, application: Any) -> bool:
    """Approving or refusing: the responsible bureau's lead, or the provincial administrator."""
    return can_work_repair(user, application) and (
        is_provincial_admin(user) or user.role == Role.LEAD)


# -- issue 14 — patent agents (专利代理师) ------------------------------------------------

def can_edit_agents_of(user: Any, agency: Any) -> bool:
    """Registering and editing the agents of ``agency``: the lead of its supervising
    bureau, and the provincial administrator of its province.  Agents practising in no
    registered agency (``agency`` None): provincial administrators."""
    if not _signed_in(user):
        return False
    if agency is None:
        return is_provincial_admin(user)
    if is_provincial_admin(user):
        return in_jurisdiction(user, agency.bureau)
    return user.role == Role.LEAD and user.bureau_id == agency.bureau_id


def can_edit_agent(user: Any, agent: Any) -> bool:
    """Editing an agent: whoever may edit the agents of the agency they practise in now."""
    return agent is not None and can_edit_agents_of(user, agent.agency)


def edits_agents(user: Any) -> bool:
    """Whether the user edits agents at all (the back office's agent pages)."""
    return is_provincial_admin(user) or (_signed_in(user) and user.role == Role.LEAD)


# -- administration ------------------------------------------------------------

def can_manage_staff(user: Any, bureau: Any = None) -> bool:
    return is_provincial_admin(user) and (bureau is None or in_jurisdiction(user, bureau))


def can_view_dashboard(user: Any, bureau: Any) -> bool:
    return in_jurisdiction(user, bureau)
