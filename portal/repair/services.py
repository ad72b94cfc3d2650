"""Credit repair applications: filing (with files), finding by tracking code, and the
responsible bureau's actions (confirm the applicant's identity, approve, refuse).

Services check, write, append an event and ``flush()``; the view commits once.  Every
change to an application goes through here; approval changes the record through the
register's own services (``repair_record`` / ``remove_list_entry``), so the record's
history, the agency's derived state, the caches and the search index follow as for any
other change of the register.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app

from intake import calendar, codes, receipts, storage
from intake.workflow import _

from ..auth import permissions
from ..auth.permissions import Forbidden
from ..errors import PortalError
from ..extensions import db
from ..register import services as register_services
from ..register.cleaning import ValidationError, decision_key
from ..register.models import Bureau, ListEntry, Penalty
from ..timeutil import today, utcnow
from .eligibility import eligibility
from .models import APPROVED, RECEIVED, REFUSED, RepairApplication, RepairEvent, RepairFile

MODELS = {"penalty": Penalty, "list_entry": ListEntry}
REFERENCE_PREFIX = "XF"  # 信用修复
REPAIR_REASON = "信用修复"  # the record's status reason (and a list entry's removal reason)


class ApplicationError(PortalError):
    """Bad input or a refused application: ``errors`` maps form fields to messages."""

    status = 422


class ActionError(PortalError):
    """A staff action that the application's state does not allow."""

    status = 409


@dataclass
class Receipt:
    application: RepairApplication
    # shown once (and again to a repeated POST of the same form while the receipt window
    # lasts, sealed under its submission key); None: that window is over
    code: str | None


# -- the record ----------------------------------------------------------------------

def find_record(kind: str | None, record_id: Any) -> Any | None:
    model = MODELS.get(kind or "")
    try:
        number = int(record_id)
    except (TypeError, ValueError):
        return None
    return db.session.get(model, number) if model is not None else None


def find_penalty(decision_number: str | None) -> Penalty | None:
    text = (decision_number or "").strip()
    if not text:
        return None
    return db.session.scalar(db.select(Penalty).where(Penalty.decision_key == decision_key(text)))


def record_of(application: RepairApplication) -> Any | None:
    return find_record(application.record_kind, application.record_id)


def open_key(record: Any) -> str:
    return f"{record.KIND}:{record.id}"


def open_application(record: Any) -> RepairApplication | None:
    return db.session.scalar(db.select(RepairApplication)
                             .where(RepairApplication.open_key == open_key(record)))


def responsible_bureau(record: Any) -> Bureau:
    """The record's publishing bureau (else its agency's); the provincial triage bureau
    when neither is known."""
    bureau = permissions.record_bureau(record)
    if bureau is None:
        code = str(current_app.config["TRIAGE_BUREAU_CODE"])
        bureau = db.session.scalar(db.select(Bureau).where(Bureau.code == code))
    return bureau


def _norm(text: str | None) -> str:
    return "".join((text or "").split()).upper()


def check_applicant(record: Any, uscc: str, licence_no: str | None) -> None:
    """The applicant's USCC (and, for an agency, its licence number) must be the record's
    party's.  Raises ApplicationError naming the field."""
    agency = getattr(record, "agency", None)
    expected_uscc = agency.uscc if agency is not None else getattr(record, "party_uscc", None)
    errors = {}
    if _norm(uscc) != _norm(expected_uscc):
        errors["uscc"] = _("统一社会信用代码与该记录的当事人不一致。请填写被处罚（被列入名单）"
                           "机构本身的统一社会信用代码。")
    if agency is not None and agency.licence_no and _norm(licence_no) != _norm(agency.licence_no):
        errors["licence_no"] = _("执业许可证号与该机构登记的许可证号不一致。")
    if errors:
        raise ApplicationError(errors=errors)


# -- filing ----------------------------------------------------------------------------

def replay(submission_key: str | None) -> Receipt | None:
    """The application already filed with this form's ``submission_key`` and, while the
    receipt window lasts, its tracking code (None afterwards); None when there is none."""
    if not receipts.is_key(submission_key):
        return None
    application = db.session.scalar(db.select(RepairApplication).where(
        RepairApplication.submission_hash == receipts.key_hash(submission_key or "")))
    if application is None:
        return None
    fresh = application.sealed_until is not None and application.sealed_until > utcnow()
    code = receipts.unseal(application.sealed_code, submission_key or "") if fresh else None
    return Receipt(application, code)


def submit_application(record: Any, data: dict, files: list[storage.CheckedFile], *,
                       code: str | None = None, submission_key: str | None = None) -> Receipt:
    """File an application for ``record`` (flushes).  ``data``: checked form values —
    uscc, licence_no, contact_name, contact_phone, contact_email, statement.  The
    record must be eligible today and have no open application; the applicant must be
    the record's party.  Files are stored (and removed again if the transaction rolls
    back) before the view commits and shows the receipt."""
    rule = eligibility(record)
    if not rule.eligible:
        raise ApplicationError(rule.reason or _("该记录目前不能申请信用修复。"))
    if open_application(record) is not None:
        raise ApplicationError(_("该记录已有一份正在办理的信用修复申请，请凭查询码查询进度，"
                                 "不要重复申请。"))
    check_applicant(record, data["uscc"], data.get("licence_no"))
    if not files:
        raise ApplicationError(errors={"files": _("请上传证明已纠正失信行为的材料。")})
    bureau = responsible_bureau(record)
    moment = utcnow()
    received_on = today()
    code = code or codes.new_code()
    application = RepairApplication(
        reference="PENDING-" + secrets.token_hex(6),
        tracking_hash=codes.hash_code(code),
        record_kind=record.KIND, record_id=record.id, open_key=open_key(record),
        agency_id=getattr(record, "agency_id", None),
        applicant_uscc=_norm(data["uscc"]), licence_no=(data.get("licence_no") or None),
        contact_name=data["contact_name"], contact_phone=data.get("contact_phone") or None,
        contact_email=data.get("contact_email") or None, statement=data["statement"],
        status=RECEIVED, bureau=bureau, received_on=received_on,
        due_on=calendar.add_working_days(received_on,
                                         int(current_app.config["REPAIR_DECISION_DAYS"]),
                                         province=bureau.code),
        created_at=moment,
    )
    if receipts.is_key(submission_key):  # a repeated POST of this form shows this receipt
        application.submission_hash = receipts.key_hash(submission_key or "")
        application.sealed_code = receipts.seal(code, submission_key or "")
        application.sealed_until = moment + receipts.window()
    db.session.add(application)
    db.session.flush()  # the id, and the one-open-application constraint, before any file
    application.reference = f"{REFERENCE_PREFIX}-{received_on.year}-{application.id:06d}"
    _event(application, "submitted", None, public_text=_(
        "已收到信用修复申请，转%(bureau)s办理。", bureau=bureau.name))
    for stored in storage.store(files, db.session, model=RepairFile):
        stored.application = application
        db.session.add(stored)
    db.session.flush()
    return Receipt(application, code)


def find_by_code(text: str | None) -> RepairApplication | None:
    """The application for a tracking code (same path for unknown and malformed codes)."""
    wanted = codes.lookup_hash(text)
    application = db.session.scalar(db.select(RepairApplication)
                                    .where(RepairApplication.tracking_hash == wanted))
    stored = application.tracking_hash if application is not None else None
    if codes.hashes_equal(stored, wanted) and application is not None:
        return application
    return None


# -- the bureau's actions ---------------------------------------------------------------

def _event(application: RepairApplication, kind: str, actor: Any, *,
           public_text: str | None = None, internal_text: str | None = None) -> RepairEvent:
    event = RepairEvent(application=application, kind=kind, actor_id=getattr(actor, "id", None),
                        status_after=application.status, public_text=public_text,
                        internal_text=internal_text, at=utcnow())
    db.session.add(event)
    return event


def _must_be_open(application: RepairApplication) -> None:
    if not application.is_open:
        raise ActionError(_("该申请已经作出决定，不能再更改。"))


def verify_identity(application: RepairApplication, actor: Any, note: str) -> None:
    """The bureau confirms who applied (身份已核实), saying how; needed before deciding."""
    if not permissions.can_work_repair(actor, application):
        raise Forbidden()
    _must_be_open(application)
    note = (note or "").strip()
    if not note:
        raise ApplicationError(errors={"note": _("请说明如何核实了申请人身份。")})
    if application.identity_verified:
        raise ActionError(_("申请人身份已经核实过。"))
    application.identity_verified_at = utcnow()
    application.identity_verified_by_id = actor.id
    _event(application, "identity_verified", actor, internal_text=note,
           public_text=_("承办部门已核实申请人身份。"))
    db.session.flush()


def _check_decider(application: RepairApplication, actor: Any) -> None:
    if not permissions.can_decide_repair(actor, application):
        raise Forbidden()
    _must_be_open(application)


def approve(application: RepairApplication, actor: Any, note: str | None = None) -> None:
    """Approve: the record stops being published (reason 信用修复; a serious-list entry is
    removed early), its history kept, through the register's services."""
    _check_decider(application, actor)
    if not application.identity_verified:
        raise ActionError(_("请先核实申请人身份，再作出决定。"))
    record = record_of(application)
    if record is None:
        raise ActionError(_("该申请涉及的记录已不存在。"))
    try:
        if isinstance(record, Penalty):
            register_services.repair_record(record, REPAIR_REASON, actor=actor)
        else:
            register_services.remove_list_entry(
                record, reason=REPAIR_REASON, removed_on=today(),
                authority=application.bureau.name, actor=actor)
    except ValidationError as exc:
        raise ActionError(_("该记录现在不能信用修复：%(why)s",
                            why="；".join(str(m) for m in exc.errors.values()))) from None
    _decide(application, APPROVED, actor, None)
    _event(application, "approved", actor, internal_text=(note or "").strip() or None,
           public_text=_("准予信用修复，该信息已停止公示。") if isinstance(record, Penalty)
           else _("准予信用修复，已提前移出严重违法失信名单。"))
    db.session.flush()


def refuse(application: RepairApplication, actor: Any, reason: str) -> None:
    """Refuse, with the reason the applicant reads."""
    _check_decider(application, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(errors={"reason": _("不予修复必须说明理由。")})
    if not application.identity_verified:
        raise ActionError(_("请先核实申请人身份，再作出决定。"))
    _decide(application, REFUSED, actor, reason)
    _event(application, "refused", actor, public_text=_("不予信用修复。理由：%(reason)s",
                                                        reason=reason))
    db.session.flush()


def _decide(application: RepairApplication, status: str, actor: Any,
            reason: str | None) -> None:
    application.status = status
    application.open_key = None
    application.decided_at = utcnow()
    application.decided_by_id = actor.id
    application.decision_reason = reason


# -- reading ------------------------------------------------------------------------------

def days_left(application: RepairApplication, on: dt.date | None = None) -> int | None:
    """Working days until the deadline (negative: overdue); None once decided."""
    if not application.is_open:
        return None
    return calendar.working_days_between(on or today(), application.due_on,
                                         province=application.bureau.code)


def queue(bureau: Bureau, status: str = "open") -> list[RepairApplication]:
    query = db.select(RepairApplication).where(RepairApplication.bureau_id == bureau.id)
    if status == "open":
        query = query.where(RepairApplication.status == RECEIVED)
    elif status in (APPROVED, REFUSED):
        query = query.where(RepairApplication.status == status)
    return list(db.session.scalars(query.order_by(RepairApplication.due_on,
                                                  RepairApplication.id)))
