"""Telling the reporter that something happened: one mail per event, through the outbox.

A reporter who left an e-mail address (a named reporter's address, or an anonymous
reporter's notification-only address, ``TipNotifyAddress``) gets a mail when the bureau
asks a question or writes to them, when the tip goes to another bureau and when it is
concluded.  The mail says only that there is news and where to look: no tip content, no
bureau message, no reference, no code.  The reporter can turn it off on the tracking page.

Mail is queued by a ``before_flush`` hook on every new ``TipEvent`` of those kinds, so
whoever records the event (intake.workflow, intake.messages) needs to do nothing, and the
unique ``OutboxMail.event_id`` makes it exactly once per event.  The recipient is not
stored in the outbox: it is looked up when the mail is sent (``recipient``), so an address
removed, notifications turned off or a purge in the meantime stop the mail.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

from .models import OutboxMail, Tip, TipEvent, TipNotifyAddress

NOTIFY_KINDS = frozenset({"info_requested", "staff_message", "transferred",
                          "returned_to_triage", "concluded"})
KIND = "notification"


def address_of(tip: Tip) -> str | None:
    """Where this tip's notifications go (None: nowhere)."""
    if tip.notifications_off or tip.purged_at is not None:
        return None
    if not tip.anonymous and tip.reporter_email:
        return tip.reporter_email
    return tip.notify_address.email if tip.notify_address is not None else None


def recipient(mail: OutboxMail) -> str | None:
    """The address a queued mail goes to now (None: it must not be sent any more)."""
    if mail.tip is None:
        return mail.to
    if mail.kind == KIND:
        return address_of(mail.tip)
    return mail.to or (mail.tip.reporter_email if mail.tip.purged_at is None else None)


def set_address(tip: Tip, email: str | None) -> None:
    """An anonymous reporter's notification-only address (None removes it); a named
    reporter's notifications go to the address given with the tip."""
    if not email:
        tip.notify_address = None
        return
    if tip.notify_address is None:
        tip.notify_address = TipNotifyAddress(email=email)
    else:
        tip.notify_address.email = email
    tip.notifications_off = False


def set_enabled(tip: Tip, enabled: bool) -> None:
    tip.notifications_off = not enabled


def body() -> str:
    """The mail text: the same for every event and every tip (both languages)."""
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/tips/track"
    parts = []
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            parts.append(render_template("intake/email/notification.txt", url=url))
    return "\n\n".join(parts)


def subject() -> str:
    with force_locale("zh_CN"):
        zh = render_template("intake/email/notification_subject.txt").strip()
    with force_locale("en"):
        en = render_template("intake/email/notification_subject.txt").strip()
    return f"{zh} / {en}"[:200]


def _queue_for(session: Session, tip_event: TipEvent) -> None:
    tip = tip_event.tip
    if tip is None or address_of(tip) is None:
        return
    session.add(OutboxMail(to="", subject=subject(), body=body(), tip=tip, kind=KIND,
                           event=tip_event, locale=None))


def _before_flush(session: Session, _context, _instances) -> None:
    new_events = [obj for obj in session.new
                  if isinstance(obj, TipEvent) and obj.kind in NOTIFY_KINDS]
    if not new_events:
        return
    with session.no_autoflush:
        for tip_event in new_events:
            _queue_for(session, tip_event)


event.listen(Session, "before_flush", _before_flush)
