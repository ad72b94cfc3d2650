"""The conversation between the reporter and the bureau.

- The reporter writes at any time while the tip is open (``reporter_message``): when the
  bureau asked a question, the message answers it (``workflow.reporter_reply``: the tip
  goes back to verification); otherwise it is a "reporter_message" event.  Either way the
  tip is marked ``reporter_message_unread`` until someone of the handling bureau opens
  the tip page (``mark_read``).
- The bureau asks with an optional due date in working days (``ask_reporter``, shown on
  the tracking page) and replies at any time while the tip is open (``staff_message``).
- ``conversation`` lists both sides in order, with who wrote, when, and the files.

The events hold only the words a person wrote in ``public_text`` (agreed with the event
wording of intake.event_text); what the system says about them is in ``EVENT_KINDS``.
Services flush; the view commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from portal.auth import permissions
from portal.extensions import db
from portal.timeutil import today

from . import calendar, workflow
from .models import OPEN_STATUSES, Attachment, Tip, TipEvent, TipStatus
from .workflow import TransitionError, _

# Staff-side labels of the events this module records (kind -> wording).
EVENT_KINDS = {
    "reporter_message": _l("举报人留言"),
    "staff_message": _l("承办部门答复举报人"),
    "purged": _l("按保存期限清除举报人信息和证据文件"),
}

MESSAGE_MAX = 3000
ASK_MAX_DAYS = 60


@dataclass
class Message:
    at: dt.datetime
    side: str  # "reporter" / "bureau"
    kind: str  # the event kind
    text: str | None
    author: str | None = None  # the bureau's name for the bureau's side
    files: list[Attachment] = field(default_factory=list)
    due: dt.date | None = None


def _reporter_text(event: TipEvent) -> str | None:
    if event.kind == "reporter_message":
        return event.public_text
    data = event.data or {}
    return data.get("text") or event.internal_text


def conversation(tip: Tip) -> list[Message]:
    """Every message of both sides, oldest first (the reporter's files with theirs)."""
    files: dict[int | None, list[Attachment]] = {}
    for attachment in tip.attachments:
        files.setdefault(attachment.event_id, []).append(attachment)
    first_event = tip.events[0].id if tip.events else None
    last_question = max((e.id for e in tip.events if e.kind == "info_requested"), default=None)
    messages = []
    for e in tip.events:
        if e.kind in ("reporter_message", "reporter_replied"):
            messages.append(Message(e.at, "reporter", e.kind, _reporter_text(e),
                                    files=files.get(e.id, [])))
        elif e.kind == "submitted" or e.id == first_event:
            if files.get(e.id):
                messages.append(Message(e.at, "reporter", "submitted", None,
                                        files=files.get(e.id, [])))
        elif e.kind == "info_requested":
            open_question = e.id == last_question and tip.status == TipStatus.AWAITING_INFO
            messages.append(Message(e.at, "bureau", e.kind, (e.data or {}).get("question"),
                                    author=_bureau_name(e),
                                    due=tip.info_due if open_question else None))
        elif e.kind == "staff_message":
            messages.append(Message(e.at, "bureau", e.kind, e.public_text,
                                    author=_bureau_name(e)))
    return messages


def _bureau_name(event: TipEvent) -> str | None:
    actor = event.actor
    return actor.bureau.name if actor is not None else None


def is_open(tip: Tip) -> bool:
    return tip.status in OPEN_STATUSES


def reporter_message(tip: Tip, text: str | None,
                     attachments: Iterable[Attachment] = ()) -> TipEvent:
    """The reporter writes (with files already stored); refused once the tip is concluded."""
    attachments = list(attachments)
    text = (text or "").strip()
    if not is_open(tip):
        raise TransitionError(_("举报已办结，不能再补充材料。"))
    if not text and not attachments:
        raise TransitionError(_("请填写补充说明或上传文件。"), "text")
    if tip.status == TipStatus.AWAITING_INFO:
        event = workflow.reporter_reply(tip, text, attachments)
        tip.info_due = None
    else:
        event = workflow._event(tip, "reporter_message", None, actor_kind="reporter",
                                public_text=text or None, data={"files": len(attachments)})
        db.session.flush()
        for attachment in attachments:
            attachment.event_id = event.id
            db.session.add(attachment)
            attachment.tip = tip
    tip.reporter_message_unread = True
    db.session.flush()
    return event


def ask_reporter(tip: Tip, actor, question: str, due_days=None) -> TipEvent:
    """The bureau asks the reporter (workflow.request_info), with an optional due date
    ``due_days`` working days from today (the tracking page shows it)."""
    days = _due_days(due_days)
    event = workflow.request_info(tip, actor, question)
    # Kept on the tip (events are never updated): the open question's due date.
    tip.info_due = (calendar.add_working_days(today(), days, province=tip.bureau.code)
                    if days else None)
    db.session.flush()
    return event


def _due_days(value) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= ASK_MAX_DAYS:
        raise TransitionError(_("答复期限请填写 1 至 %(n)d 个工作日。", n=ASK_MAX_DAYS), "due_days")
    return int(text)


def can_message(user, tip: Tip) -> bool:
    """Staff of the handling bureau (or the provincial administrator) while it is open."""
    return (is_open(tip) and permissions.in_jurisdiction(user, tip.bureau)
            and getattr(user, "role", None) in workflow.ROLES_ALL)


def staff_message(tip: Tip, actor, text: str | None) -> TipEvent:
    """The bureau writes to the reporter (the reporter reads it, and is notified)."""
    if not permissions.in_jurisdiction(actor, tip.bureau):
        raise permissions.Forbidden()
    if not is_open(tip):
        raise TransitionError(_("举报已办结，请通过办结答复告知举报人。"), "message")
    text = (text or "").strip()
    if not text:
        raise TransitionError(_("请填写给举报人的答复。"), "message")
    if len(text) > MESSAGE_MAX:
        raise TransitionError(_("答复最多 %(max)d 个字。", max=MESSAGE_MAX), "message")
    event = workflow._event(tip, "staff_message", actor, public_text=text,
                            data={"bureau": tip.bureau.name, "bureau_id": tip.bureau_id})
    tip.reporter_message_unread = False
    db.session.flush()
    return event


def mark_read(tip: Tip, user) -> bool:
    """Someone of the handling bureau opened the tip: the reporter's messages are read."""
    if tip.reporter_message_unread and getattr(user, "bureau_id", None) == tip.bureau_id:
        tip.reporter_message_unread = False
        return True
    return False


# -- the outcome block ------------------------------------------------------------

WHAT_NEXT = "what_next"
DEFAULT_WHAT_NEXT = _l(
    "如您对处理结果有异议，可以向承办部门或其上级市场监督管理部门反映。"
    "如您本人的合法权益受到损害，可以通过全国12315平台（www.12315.cn）或拨打12315热线投诉，"
    "也可以依法向人民法院提起诉讼。")


def what_next(tip: Tip, locale: str | None) -> str:
    """The "what next" text of the tip's province (edited by its administrator), in
    ``locale`` when it has that language, else the built-in text."""
    from portal.register import divisions

    from .models import TipText

    row = db.session.get(TipText, (divisions.province_of(tip.bureau.code), WHAT_NEXT))
    if row is None:
        return str(DEFAULT_WHAT_NEXT)
    if locale and locale.startswith("en") and row.text_en:
        return row.text_en
    return row.text_zh


def set_what_next(province: str, text_zh: str, text_en: str | None, actor) -> None:
    from .models import TipText

    text_zh = (text_zh or "").strip()
    if not text_zh:
        raise TransitionError(_("请填写中文文本。"), "text_zh")
    row = db.session.get(TipText, (province, WHAT_NEXT))
    if row is None:
        row = TipText(province=province, name=WHAT_NEXT, text_zh=text_zh)
        db.session.add(row)
    row.text_zh = text_zh
    row.text_en = (text_en or "").strip() or None
    row.updated_by_id = actor.id
    row.updated_at = workflow.now()
    db.session.flush()


def conclusion(tip: Tip) -> TipEvent | None:
    """The event that concluded the tip (None while open)."""
    if tip.status != TipStatus.CONCLUDED:
        return None
    return next((e for e in reversed(tip.events) if e.kind == "concluded"), None)


# Messages that change nothing but the conversation: the tracking page shows them there
# only (a question and its answer also change the status: they are in the timeline too).
CONVERSATION_KINDS = frozenset({"reporter_message", "staff_message"})
