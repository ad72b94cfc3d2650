"""The tip state machine: THE owner of tip statuses, transitions and their events.

Every function here checks who may act (``portal.auth.permissions``) and whether the
tip's status allows the action (the ``ACTIONS`` table), appends exactly one ``TipEvent``
(append-only, with actor and time), keeps ``Tip.status`` and the deadline columns in
step, and flushes.  Callers (views, CLI, demo) commit once.

``actor=None`` means the system (CLI, demo data): no permission check.  Views always
pass ``current_user`` (an anonymous user is refused).

Deadlines (working days, intake.calendar; figures from the configuration):
- acceptance within TIP_ACCEPT_DAYS working days of entering a queue (arrival,
  transfer and return to triage restart this clock in the new queue);
- verification within TIP_VERIFY_DAYS working days of acceptance;
- extendable once by TIP_EXTEND_DAYS working days (``extend_deadline``).

Transfers (``transfer``; the targets a page offers come from ``transfer_targets``):
- within the province of the bureau now handling the tip, to any other active bureau:
  the normal case;
- to another province (投诉举报处理暂行办法 art. 29–30: the matter belongs to another
  province's authorities) only to that province's provincial bureau, which receives and
  distributes tips there like our triage queue.  No other bureau of another province is
  a valid target: the receiving province decides which of its bureaus handles the tip.
  The reason is required (as for every transfer) and the event records
  ``data={"cross_province": True}``.  The receiving province's administrator then sees
  the tip in that provincial bureau's queue like any tip.  The sending side loses access
  to the tip (as with any transfer out of its reach) but keeps the record: the transfer
  is listed on the supervised page (``intake.queries.transfers_out_of_province``) of
  everyone whose reach includes the sending bureau — for the sending province's
  administrator, every such transfer of the province.
Any other target is refused with a TransitionError; nothing changes.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from flask import current_app, has_request_context
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from portal.auth import permissions
from portal.auth.permissions import Forbidden
from portal.errors import PortalError
from portal.extensions import db
from portal.register import divisions
from portal.register.models import Bureau, Penalty
from portal.timeutil import to_china, utcnow

from . import calendar, durations, event_text
from .models import OPEN_STATUSES, Attachment, Tip, TipEvent, TipStatus

__all__ = [
    "ACTIONS",
    "EVENT_KINDS",
    "OPEN_STATUSES",
    "OUTCOMES",
    "STATUSES",
    "Forbidden",
    "TipAction",
    "TipStatus",
    "TransitionError",
    "accept",
    "add_note",
    "allowed_actions",
    "approve_conclusion",
    "assign",
    "can_act",
    "conclude",
    "current_due",
    "extend_deadline",
    "is_cross_province",
    "is_overdue",
    "mark_duplicate",
    "public_events",
    "record_submission",
    "reject_conclusion",
    "reporter_reply",
    "request_info",
    "return_to_triage",
    "supervise",
    "transfer",
    "transfer_targets",
    "working_days_left",
]

# -- vocabulary -------------------------------------------------------------

STATUSES = {
    TipStatus.RECEIVED: _l("已收到，等待受理"),
    TipStatus.ACCEPTED: _l("已受理，正在核查"),
    TipStatus.AWAITING_INFO: _l("等待举报人补充材料"),
    TipStatus.PENDING_APPROVAL: _l("核查完毕，等待审核"),
    TipStatus.CONCLUDED: _l("已办结"),
}

OUTCOMES = {
    "substantiated": _l("举报属实"),
    "not_substantiated": _l("举报不属实"),
    "referred": _l("已移送其他机关处理"),
    "duplicate": _l("重复举报"),
    "withdrawn": _l("举报人撤回"),
}

EVENT_KINDS = {
    "submitted": _l("收到举报"),
    "routed": _l("分送承办部门"),
    "accepted": _l("受理"),
    "assigned": _l("指定承办人"),
    "info_requested": _l("请举报人补充材料"),
    "reporter_replied": _l("举报人补充材料"),
    "note": _l("内部备注"),
    "transferred": _l("移送其他部门"),
    "returned_to_triage": _l("退回省局分送"),
    "deadline_extended": _l("延长核查期限"),
    "marked_duplicate": _l("标记为重复举报"),
    "conclusion_proposed": _l("提出办结意见"),
    "concluded": _l("办结"),
    "conclusion_rejected": _l("退回办结意见"),
    "supervised": _l("省局督办"),
}


class TipAction(enum.StrEnum):
    """The transitions (values are the names used in URLs and ``allowed_actions``)."""

    ACCEPT = "accept"
    ASSIGN = "assign"
    REQUEST_INFO = "request_info"
    REPORTER_REPLY = "reporter_reply"
    ADD_NOTE = "add_note"
    TRANSFER = "transfer"
    RETURN_TO_TRIAGE = "return_to_triage"
    EXTEND_DEADLINE = "extend_deadline"
    MARK_DUPLICATE = "mark_duplicate"
    CONCLUDE = "conclude"
    APPROVE_CONCLUSION = "approve_conclusion"
    REJECT_CONCLUSION = "reject_conclusion"
    SUPERVISE = "supervise"


ROLES_ALL = frozenset({"staff", "lead", "admin"})
ROLES_LEAD = frozenset({"lead", "admin"})
ROLES_ADMIN = frozenset({"admin"})


@dataclass(frozen=True)
class Action:
    """One transition: where it may start, who may make it, what it records."""

    name: TipAction
    from_statuses: frozenset[TipStatus]
    roles: frozenset[str]  # staff roles allowed; "reporter" actions have no staff role
    event: str
    # What the actor is told when the tip's status does not allow the action (None: generic).
    refused_text: str | None = None


# Open, and no conclusion proposed yet.
_BEFORE_PROPOSAL = frozenset({TipStatus.RECEIVED, TipStatus.ACCEPTED, TipStatus.AWAITING_INFO})
_UNDER_VERIFICATION = frozenset({TipStatus.ACCEPTED, TipStatus.AWAITING_INFO})

ACTIONS: dict[TipAction, Action] = {
    a.name: a
    for a in (
        Action(TipAction.ACCEPT, frozenset({TipStatus.RECEIVED}), ROLES_ALL, "accepted"),
        Action(TipAction.ASSIGN, frozenset(OPEN_STATUSES), ROLES_LEAD, "assigned"),
        Action(TipAction.REQUEST_INFO, frozenset({TipStatus.ACCEPTED}), ROLES_ALL,
               "info_requested"),
        Action(TipAction.REPORTER_REPLY, frozenset({TipStatus.AWAITING_INFO}), frozenset(),
               "reporter_replied", refused_text=_l("承办部门目前没有请您补充材料。")),
        Action(TipAction.ADD_NOTE, frozenset(TipStatus), ROLES_ALL, "note"),
        Action(TipAction.TRANSFER, _BEFORE_PROPOSAL, ROLES_ALL, "transferred"),
        Action(TipAction.RETURN_TO_TRIAGE, _BEFORE_PROPOSAL, ROLES_ALL, "returned_to_triage"),
        Action(TipAction.EXTEND_DEADLINE, _UNDER_VERIFICATION, ROLES_ALL, "deadline_extended"),
        Action(TipAction.MARK_DUPLICATE, _BEFORE_PROPOSAL, ROLES_ALL, "marked_duplicate"),
        Action(TipAction.CONCLUDE, _UNDER_VERIFICATION, ROLES_ALL,
               "conclusion_proposed"),  # lead/admin: "concluded" (see conclude())
        Action(TipAction.APPROVE_CONCLUSION, frozenset({TipStatus.PENDING_APPROVAL}), ROLES_LEAD,
               "concluded"),
        Action(TipAction.REJECT_CONCLUSION, frozenset({TipStatus.PENDING_APPROVAL}), ROLES_LEAD,
               "conclusion_rejected"),
        Action(TipAction.SUPERVISE, frozenset(OPEN_STATUSES), ROLES_ADMIN, "supervised"),
    )
}
STAFF_ACTIONS = tuple(name for name in ACTIONS if name != TipAction.REPORTER_REPLY)


class TransitionError(PortalError):
    """The tip's state does not allow this action, or its input is invalid (Chinese message);
    ``field`` names the input concerned, if any."""

    status = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, errors={field: message} if field else None)
        self.field = field


# -- helpers ----------------------------------------------------------------

_clock: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "intake_workflow_clock", default=None)


@contextlib.contextmanager
def at(moment: dt.datetime):
    """Make transitions inside the block happen at ``moment`` (naive UTC): for demo data
    and tests of deadlines; the web never uses it."""
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


def now() -> dt.datetime:
    """When transitions happen: now (naive UTC), or the moment set by ``at``."""
    return _clock.get() or utcnow()


def _(message: str, **fields) -> str:
    """gettext that also works outside a request (CLI, demo): Chinese there."""
    if has_request_context():
        return gettext(message, **fields)
    with force_locale("zh_CN"):
        return gettext(message, **fields)


def _config(key: str) -> int:
    return int(current_app.config[key])


def _china_date(moment: dt.datetime) -> dt.date:
    return cast(dt.datetime, to_china(moment)).date()


def _bureau(bureau: Bureau, data: dict | None = None) -> dict:
    """Event parameters naming ``bureau`` (its name when the event happened); what the
    reporter reads is worded from them by ``intake.event_text`` in the reader's language."""
    return {**(data or {}), "bureau": bureau.name, "bureau_id": bureau.id}


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and getattr(user, "active", False))


def can_act(user, tip: Tip, action: TipAction) -> bool:
    """May ``user`` make ``action`` on ``tip`` now (role, jurisdiction and status)?"""
    spec = ACTIONS[action]
    if tip.status not in spec.from_statuses:
        return False
    if user is None:  # the system
        return True
    if not _signed_in(user) or user.role not in spec.roles:
        return False
    if not permissions.in_jurisdiction(user, tip.bureau):  # supervisors only read
        return False
    return not (action == TipAction.EXTEND_DEADLINE and tip.extended)


def allowed_actions(user, tip: Tip) -> set[TipAction]:
    """The staff actions ``user`` may make on ``tip`` now (names as in ``ACTIONS``)."""
    return {name for name in STAFF_ACTIONS if can_act(user, tip, name)}


def _check(user, tip: Tip, action: TipAction) -> Action:
    spec = ACTIONS[action]
    if user is not None:
        if not _signed_in(user) or not permissions.in_jurisdiction(user, tip.bureau):
            raise Forbidden()
        if user.role not in spec.roles:
            raise Forbidden()
    if tip.status not in spec.from_statuses:
        raise TransitionError(str(spec.refused_text) if spec.refused_text else
                              _("当前状态（%(status)s）下不能进行此操作。",
                                status=STATUSES[TipStatus(tip.status)]))
    return spec


def _event(tip: Tip, kind: str, actor, *, public_text=None, internal_text=None,
           from_bureau=None, to_bureau=None, data=None, actor_kind=None) -> TipEvent:
    if actor_kind is None:
        actor_kind = "system" if actor is None else "staff"
    event = TipEvent(
        tip=tip,
        kind=kind,
        at=now(),
        actor_kind=actor_kind,
        actor_id=getattr(actor, "id", None),
        from_bureau_id=getattr(from_bureau, "id", None),
        to_bureau_id=getattr(to_bureau, "id", None),
        status_after=tip.status,
        public_text=public_text,
        internal_text=internal_text,
        data=data,
    )
    db.session.add(event)
    return event


def _required(text: str | None, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise TransitionError(message, field)
    return text


def _enter_queue(tip: Tip, bureau: Bureau, moment: dt.datetime) -> None:
    """Place the tip in ``bureau``'s queue: acceptance clock restarts there."""
    tip.bureau = bureau
    tip.bureau_id = bureau.id
    tip.status = TipStatus.RECEIVED
    tip.assignee = None
    tip.assignee_id = None
    tip.queue_entered_at = moment
    tip.accept_due = calendar.add_working_days(_china_date(moment), _config("TIP_ACCEPT_DAYS"),
                                               province=bureau.code)
    tip.accepted_at = tip.accepted_on = tip.accept_working_days = None
    tip.verify_due = None
    tip.extended = False
    tip.outcome = None


def _triage_bureau() -> Bureau:
    code = current_app.config["TRIAGE_BUREAU_CODE"]
    bureau = db.session.scalar(db.select(Bureau).where(Bureau.code == code))
    if bureau is None:
        raise TransitionError(_("未配置省局分送部门（TRIAGE_BUREAU_CODE=%(code)s）。", code=code))
    return bureau


# -- transitions ------------------------------------------------------------

def record_submission(tip: Tip, decision) -> Tip:
    """A new tip enters the queue chosen by routing: events "submitted" and "routed".

    ``tip`` must be added to the session (fields filled by intake.services);
    ``decision`` is a ``routing.Decision``.
    """
    moment = now()
    tip.created_at = tip.created_at or moment
    tip.received_on = _china_date(tip.created_at)
    tip.routing_rule = decision.rule
    tip.routing_reason = decision.reason
    tip.cross_region = bool(decision.cross_region)
    _enter_queue(tip, decision.bureau, moment)
    db.session.add(tip)
    _event(tip, "submitted", None, actor_kind="reporter")
    _event(tip, "routed", None, to_bureau=decision.bureau, internal_text=decision.reason,
           data=_bureau(decision.bureau, {"rule": decision.rule,
                                          "cross_region": bool(decision.cross_region)}))
    db.session.flush()
    return tip


def accept(tip: Tip, actor) -> TipEvent:
    spec = _check(actor, tip, TipAction.ACCEPT)
    moment = now()
    tip.status = TipStatus.ACCEPTED
    tip.accepted_at = moment
    tip.accepted_on = _china_date(moment)
    tip.accept_working_days = durations.working_days(tip.received_on, tip.accepted_on)
    tip.verify_due = calendar.add_working_days(_china_date(moment), _config("TIP_VERIFY_DAYS"),
                                               province=tip.bureau.code)
    if actor is not None and tip.assignee_id is None:
        tip.assignee = actor
    event = _event(tip, spec.event, actor, data=_bureau(tip.bureau))
    db.session.flush()
    return event


def assign(tip: Tip, actor, assignee) -> TipEvent:
    spec = _check(actor, tip, TipAction.ASSIGN)
    if assignee is None or not getattr(assignee, "active", False):
        raise TransitionError(_("请选择一名在岗的工作人员。"), "assignee")
    if assignee.bureau_id != tip.bureau_id:
        raise TransitionError(_("只能指定本举报承办部门的工作人员。"), "assignee")
    tip.assignee = assignee
    event = _event(tip, spec.event, actor, internal_text=assignee.name,
                   data={"assignee_id": assignee.id})
    db.session.flush()
    return event


def request_info(tip: Tip, actor, question: str) -> TipEvent:
    spec = _check(actor, tip, TipAction.REQUEST_INFO)
    question = _required(question, "question", _("请填写需要举报人补充的内容。"))
    tip.status = TipStatus.AWAITING_INFO
    event = _event(tip, spec.event, actor, public_text=question,
                   data=_bureau(tip.bureau, {"question": question}))
    db.session.flush()
    return event


def reporter_reply(tip: Tip, text: str, attachments: Iterable[Attachment] = ()) -> TipEvent:
    """The reporter answers on the tracking page (with files already stored)."""
    spec = _check(None, tip, TipAction.REPORTER_REPLY)
    attachments = list(attachments)
    text = (text or "").strip()
    if not text and not attachments:
        raise TransitionError(_("请填写补充说明或上传文件。"), "text")
    tip.status = TipStatus.ACCEPTED
    event = _event(tip, spec.event, None, actor_kind="reporter", internal_text=text or None,
                   data={"files": len(attachments)})
    db.session.flush()
    for attachment in attachments:
        attachment.event_id = event.id
        db.session.add(attachment)
        attachment.tip = tip
    db.session.flush()
    return event


def add_note(tip: Tip, actor, text: str) -> TipEvent:
    spec = _check(actor, tip, TipAction.ADD_NOTE)
    text = _required(text, "text", _("请填写备注内容。"))
    event = _event(tip, spec.event, actor, internal_text=text)
    db.session.flush()
    return event


def is_cross_province(tip: Tip, bureau: Bureau) -> bool:
    """True when ``bureau`` lies in another province than the bureau handling ``tip``."""
    return not divisions.same_province(bureau.code, tip.bureau.code)


def _may_receive(tip: Tip, bureau: Bureau) -> bool:
    """The transfer rule (module docstring): another active bureau of the tip's province,
    or the provincial bureau of another province."""
    if not bureau.active or bureau.id == tip.bureau_id:
        return False
    return not is_cross_province(tip, bureau) or bureau.level == divisions.PROVINCE


def transfer_targets(tip: Tip, user) -> list[Bureau]:
    """The bureaus ``user`` may transfer ``tip`` to now, by code (empty: no transfer)."""
    if not can_act(user, tip, TipAction.TRANSFER):
        return []
    bureaus = db.session.scalars(
        db.select(Bureau).where(Bureau.active.is_(True)).order_by(Bureau.code))
    return [b for b in bureaus if _may_receive(tip, b)]


def transfer(tip: Tip, actor, to_bureau: Bureau | None, reason: str) -> TipEvent:
    """Move the tip to another bureau's queue (acceptance clock restarts there); the
    target must satisfy the transfer rule in the module docstring."""
    spec = _check(actor, tip, TipAction.TRANSFER)
    reason = _required(reason, "reason", _("移送必须说明理由。"))
    if to_bureau is None or not to_bureau.active:
        raise TransitionError(_("请选择一个在用的承办部门。"), "to_bureau")
    if to_bureau.id == tip.bureau_id:
        raise TransitionError(_("举报已在该部门，无需移送。"), "to_bureau")
    if not _may_receive(tip, to_bureau):
        raise TransitionError(_("跨省移送只能移送至对方省级市场监督管理部门。"), "to_bureau")
    data = {"cross_province": True} if is_cross_province(tip, to_bureau) else None
    return _move(tip, spec, actor, to_bureau, reason, data)


def return_to_triage(tip: Tip, actor, reason: str) -> TipEvent:
    """A bureau disputes jurisdiction: the tip goes back to the provincial triage queue."""
    spec = _check(actor, tip, TipAction.RETURN_TO_TRIAGE)
    reason = _required(reason, "reason", _("退回省局必须说明理由。"))
    triage = _triage_bureau()
    if triage.id == tip.bureau_id:
        raise TransitionError(_("举报已在省局分送队列中。"), "reason")
    return _move(tip, spec, actor, triage, reason)


def _move(tip: Tip, spec: Action, actor, to_bureau: Bureau, reason: str,
          data: dict | None = None) -> TipEvent:
    """Move the tip into another bureau's queue (its acceptance clock starts again there)."""
    from_bureau = tip.bureau
    _enter_queue(tip, to_bureau, now())
    event = _event(tip, spec.event, actor, from_bureau=from_bureau, to_bureau=to_bureau,
                   internal_text=reason, data=_bureau(to_bureau, data))
    db.session.flush()
    return event


def extend_deadline(tip: Tip, actor, reason: str) -> TipEvent:
    spec = _check(actor, tip, TipAction.EXTEND_DEADLINE)
    if tip.extended:
        raise TransitionError(_("核查期限只能延长一次。"))
    reason = _required(reason, "reason", _("延长期限必须说明理由。"))
    old_due = cast(dt.date, tip.verify_due)  # set on acceptance; the status says accepted
    tip.verify_due = calendar.add_working_days(old_due, _config("TIP_EXTEND_DAYS"),
                                               province=tip.bureau.code)
    tip.extended = True
    event = _event(tip, spec.event, actor, internal_text=reason,
                   data={"from": old_due.isoformat(), "to": tip.verify_due.isoformat()})
    db.session.flush()
    return event


def mark_duplicate(tip: Tip, actor, original: Tip) -> TipEvent:
    """Link ``tip`` to the earlier tip it repeats (status unchanged; conclude it afterwards
    with the outcome "duplicate")."""
    spec = _check(actor, tip, TipAction.MARK_DUPLICATE)
    if original is None or original.id == tip.id:
        raise TransitionError(_("请选择另一件举报作为原举报。"), "original")
    seen: set[int] = set()
    cursor: Tip | None = original
    while cursor is not None:  # refuse cycles
        if cursor.id == tip.id:
            raise TransitionError(_("不能形成循环的重复关系。"), "original")
        if cursor.id in seen:
            break
        seen.add(cursor.id)
        cursor = cursor.duplicate_of
    tip.duplicate_of = original
    event = _event(tip, spec.event, actor, internal_text=original.reference,
                   data={"original_id": original.id})
    db.session.flush()
    return event


def conclude(tip: Tip, actor, outcome: str, public_reply: str,
             penalty: Penalty | None = None) -> TipEvent:
    """Staff propose a conclusion (-> pending_approval); a lead or admin (or the system)
    concludes directly (-> concluded, the public reply reaches the tracking page)."""
    spec = _check(actor, tip, TipAction.CONCLUDE)
    if outcome not in OUTCOMES:
        raise TransitionError(_("请选择办理结果。"), "outcome")
    public_reply = _required(public_reply, "public_reply", _("请填写给举报人的答复。"))
    if penalty is not None and outcome != "substantiated":
        raise TransitionError(_("只有“举报属实”的结果可以关联行政处罚决定。"), "penalty")
    data = {"outcome": outcome, "public_reply": public_reply,
            "penalty_id": penalty.id if penalty is not None else None}
    tip.outcome = outcome
    tip.penalty = penalty
    if actor is None or actor.role in ROLES_LEAD:
        return _finish(tip, actor, data)
    tip.status = TipStatus.PENDING_APPROVAL
    event = _event(tip, spec.event, actor, internal_text=public_reply, data=data)
    db.session.flush()
    return event


def _finish(tip: Tip, actor, data: dict) -> TipEvent:
    spec = ACTIONS[TipAction.APPROVE_CONCLUSION]
    tip.status = TipStatus.CONCLUDED
    tip.concluded_at = now()
    tip.concluded_on = _china_date(tip.concluded_at)
    tip.conclude_working_days = durations.working_days(tip.received_on, tip.concluded_on)
    event = _event(tip, spec.event, actor, public_text=data["public_reply"],
                   data=_bureau(tip.bureau, data))
    db.session.flush()
    return event


def _proposal(tip: Tip) -> dict:
    for event in reversed(tip.events):
        if event.kind == ACTIONS[TipAction.CONCLUDE].event:
            return dict(event.data or {})
    raise TransitionError(_("没有待审核的办结意见。"))


def approve_conclusion(tip: Tip, actor) -> TipEvent:
    _check(actor, tip, TipAction.APPROVE_CONCLUSION)
    data = _proposal(tip)
    tip.outcome = data["outcome"]
    tip.penalty_id = data.get("penalty_id")
    return _finish(tip, actor, data)


def reject_conclusion(tip: Tip, actor, reason: str) -> TipEvent:
    spec = _check(actor, tip, TipAction.REJECT_CONCLUSION)
    reason = _required(reason, "reason", _("退回办结意见必须说明理由。"))
    tip.status = TipStatus.ACCEPTED
    tip.outcome = None
    tip.penalty = None
    tip.penalty_id = None
    event = _event(tip, spec.event, actor, internal_text=reason)
    db.session.flush()
    return event


def supervise(tip: Tip, actor, note: str) -> TipEvent:
    spec = _check(actor, tip, TipAction.SUPERVISE)
    note = _required(note, "note", _("请填写督办意见。"))
    tip.supervised = True
    event = _event(tip, spec.event, actor, internal_text=note)
    db.session.flush()
    return event


# -- reading ----------------------------------------------------------------

def public_events(tip: Tip) -> list[TipEvent]:
    """The events the reporter may see on the tracking page, oldest first (their text:
    ``intake.event_text``)."""
    return [e for e in tip.events if event_text.is_public(e)]


def current_due(tip: Tip) -> dt.date | None:
    """The deadline that currently runs: acceptance while received, verification after."""
    if tip.status == TipStatus.RECEIVED:
        return tip.accept_due
    if tip.status in OPEN_STATUSES:
        return tip.verify_due
    return None


def working_days_left(tip: Tip, on: dt.date | None = None) -> int | None:
    """Working days until the running deadline (0: due today; negative: overdue)."""
    due = current_due(tip)
    if due is None:
        return None
    from portal.timeutil import today

    return calendar.working_days_between(on or today(), due, province=tip.bureau.code)


def is_overdue(tip: Tip, on: dt.date | None = None) -> bool:
    left = working_days_left(tip, on)
    return left is not None and left < 0
