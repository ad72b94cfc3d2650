"""Tips (举报), their append-only events, evidence files, routing rules and the mail outbox."""

from __future__ import annotations

import datetime as dt
import enum
import os

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import StaffUser
from portal.extensions import db
from portal.register.models import Agency, Bureau, Penalty
from portal.timeutil import utcnow

from .crypto import EncryptedText


class TipStatus(enum.StrEnum):
    """Where a tip stands (values are the strings stored in ``tip.status``)."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    AWAITING_INFO = "awaiting_info"
    PENDING_APPROVAL = "pending_approval"
    CONCLUDED = "concluded"


# Every status but the last: the tip is still being handled.
OPEN_STATUSES = (TipStatus.RECEIVED, TipStatus.ACCEPTED, TipStatus.AWAITING_INFO,
                 TipStatus.PENDING_APPROVAL)


# The content types intake.storage accepts, and the extension each is served with.
CONTENT_TYPE_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
}


class Tip(db.Model):
    """A tip.  ``status`` and the deadline columns are kept in step with ``TipEvent``
    rows in the same transaction by ``intake.workflow``, the only code that changes them."""

    __tablename__ = "tip"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Case number shown to staff and on the receipt, e.g. JB-2026-000123 (not a secret).
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # The tracking code is shown once; only its hash is stored.
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(40), index=True)

    # The reported party: a registered agency, or an unregistered operator.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    operator_name: Mapped[str | None] = mapped_column(String(200))
    operator_uscc: Mapped[str | None] = mapped_column(String(18))
    operator_contact: Mapped[str | None] = mapped_column(String(300))  # website / shop / account
    operator_division_code: Mapped[str | None] = mapped_column(String(6))  # registered domicile
    # Likely-duplicate keys of an unregistered operator (intake.matching), set when filed.
    match_name: Mapped[str | None] = mapped_column(String(200), index=True)
    match_host: Mapped[str | None] = mapped_column(String(255), index=True)
    match_handle: Mapped[str | None] = mapped_column(String(300), index=True)

    # Where and when it happened, and what happened.
    division_code: Mapped[str | None] = mapped_column(String(6))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    online_url: Mapped[str | None] = mapped_column(String(500))
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)

    # The reporter: visible only to staff of the bureau handling the tip (each view is
    # audited, intake.audit), stored encrypted (intake.crypto), purged after retention.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    reporter_name: Mapped[str | None] = mapped_column(EncryptedText("tip.reporter_name"))
    reporter_phone: Mapped[str | None] = mapped_column(EncryptedText("tip.reporter_phone"))
    reporter_email: Mapped[str | None] = mapped_column(EncryptedText("tip.reporter_email"))
    consent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The reporter's channel (intake.messages, intake.notifications): a message from the
    # reporter no one of the handling bureau has opened yet; notifications turned off on
    # the tracking page; when a bureau's question must be answered (working days).
    reporter_message_unread: Mapped[bool] = mapped_column(Boolean, default=False,
                                                          server_default="0", index=True)
    notifications_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    info_due: Mapped[dt.date | None] = mapped_column(Date)
    # Retention (intake.retention): when the identity and the evidence files were purged.
    purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    # Current state (derived from the events, kept in step by intake.workflow).
    status: Mapped[str] = mapped_column(String(20), index=True)  # a TipStatus
    bureau_id: Mapped[int] = mapped_column(ForeignKey("bureau.id"), index=True)
    routing_rule: Mapped[str] = mapped_column(String(40))
    routing_reason: Mapped[str] = mapped_column(Text)
    cross_region: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    queue_entered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    accept_due: Mapped[dt.date | None] = mapped_column(Date)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    verify_due: Mapped[dt.date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tip.id"))
    likely_duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tip.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    penalty_id: Mapped[int | None] = mapped_column(ForeignKey("penalty.id"))
    concluded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # For the public statistics (issue 17), set by intake.workflow when each happens: the
    # China-time days the tip was received, accepted and concluded, and the working days
    # from receipt to each (the nationwide calendar; ``intake.durations.recount`` when an
    # administrator changes it).  Indexes: portal.statistics.models.
    received_on: Mapped[dt.date] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    concluded_on: Mapped[dt.date | None] = mapped_column(Date)
    accept_working_days: Mapped[int | None] = mapped_column(Integer)
    conclude_working_days: Mapped[int | None] = mapped_column(Integer)
    # Synthetic tips made by `portal demo` (cleared when it runs again).
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    agency: Mapped[Agency | None] = relationship()
    bureau: Mapped[Bureau] = relationship()
    assignee: Mapped[StaffUser | None] = relationship()
    penalty: Mapped[Penalty | None] = relationship()
    duplicate_of: Mapped[Tip | None] = relationship(
        remote_side=[id], foreign_keys=[duplicate_of_id]
    )
    likely_duplicate_of: Mapped[Tip | None] = relationship(
        remote_side=[id], foreign_keys=[likely_duplicate_of_id]
    )
    events: Mapped[list[TipEvent]] = relationship(
        back_populates="tip", order_by="TipEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="tip", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    notify_address: Mapped[TipNotifyAddress | None] = relationship(
        back_populates="tip", cascade="all, delete-orphan"
    )

    @property
    def party_name(self) -> str:
        return self.agency.name if self.agency else (self.operator_name or "")


class TipEvent(db.Model):
    """Append-only history of a tip.  Rows are never updated or deleted."""

    __tablename__ = "tip_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tip.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(10))  # reporter / staff / system
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    from_bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureau.id"))
    to_bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureau.id"))
    status_after: Mapped[str] = mapped_column(String(20))
    # Text the reporter reads on the tracking page (None: not shown publicly).
    public_text: Mapped[str | None] = mapped_column(Text)
    # Text for staff only: never reaches the tracking page.
    internal_text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)

    tip: Mapped[Tip] = relationship(back_populates="events")
    actor: Mapped[StaffUser | None] = relationship()
    from_bureau: Mapped[Bureau | None] = relationship(foreign_keys=[from_bureau_id])
    to_bureau: Mapped[Bureau | None] = relationship(foreign_keys=[to_bureau_id])


class Attachment(db.Model):
    """An evidence file in private storage (random name), encrypted (intake.crypto: the
    file starts with the id of its key, also kept in ``key_id``), with its metadata removed
    (intake.metadata): ``sha256`` is the file as stored (cleaned, before encryption),
    ``received_sha256`` the file as the reporter sent it."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tip.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("tip_event.id"))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    received_sha256: Mapped[str | None] = mapped_column(String(64))
    # "cleaned" (metadata removed), "clean" (none found), "not_cleaned" (stored as
    # received: flagged to staff), None (filed before metadata removal existed).
    clean_status: Mapped[str | None] = mapped_column(String(20))
    metadata_removed: Mapped[list | None] = mapped_column(JSON)
    key_id: Mapped[str | None] = mapped_column(String(8))
    purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    tip: Mapped[Tip] = relationship(back_populates="attachments")

    @property
    def extension(self) -> str:
        """The extension of the type detected from the content (intake.storage): files are
        stored and served with it, never with the uploader's."""
        stem, dot, ext = self.stored_name.rpartition(".")
        if dot and stem:
            return ext
        return CONTENT_TYPE_EXTENSIONS.get(self.content_type, "bin")

    @property
    def download_name(self) -> str:
        """The uploader's name (kept as data) with the detected extension instead of theirs:
        "report.hta" holding a PDF downloads as "report.pdf"."""
        stem = os.path.splitext(self.original_name or "")[0].replace(".", "_").strip()
        return f"{stem or 'evidence'}.{self.extension}"


class TipNotifyAddress(db.Model):
    """An anonymous reporter's notification-only address: apart from the tip, encrypted,
    never shown to staff, used for nothing but "there is news on your tip"."""

    __tablename__ = "tip_notify_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tip.id"), unique=True)
    email: Mapped[str] = mapped_column(EncryptedText("tip_notify_address.email"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    tip: Mapped[Tip] = relationship(back_populates="notify_address")


class AccessAudit(db.Model):
    """Append-only: one row each time a staff member views a reporter's identity or
    downloads an evidence file (intake.audit).  Rows are never updated or deleted."""

    __tablename__ = "access_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tip.id"), index=True)
    # The bureau handling the tip at the time (whose lead reads the entry).
    bureau_id: Mapped[int] = mapped_column(ForeignKey("bureau.id"), index=True)
    what: Mapped[str] = mapped_column(String(20))  # "identity" / "download"
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    detail: Mapped[str | None] = mapped_column(String(300))

    actor: Mapped[StaffUser] = relationship()
    tip: Mapped[Tip] = relationship()
    bureau: Mapped[Bureau] = relationship()


class TipText(db.Model):
    """Texts for reporters the provincial administrator edits (e.g. "what next" after a
    conclusion), per province, in Chinese and English."""

    __tablename__ = "tip_text"

    province: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class RoutingRule(db.Model):
    """An administrator's rule (category + region → bureau), applied before the built-in ones."""

    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str | None] = mapped_column(String(40))  # None: any category
    division_prefix: Mapped[str] = mapped_column(String(6))  # "14", "1401", "140105"
    bureau_id: Mapped[int] = mapped_column(ForeignKey("bureau.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    bureau: Mapped[Bureau] = relationship()


class RoutingRuleChange(db.Model):
    """History of routing rules: every create / change / deactivation, with who and when."""

    __tablename__ = "routing_rule_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("routing_rule.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    snapshot: Mapped[dict] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class TipSubmission(db.Model):
    """A submission key used once (intake.receipts): its hash is unique, so one rendered
    form files at most one tip.  ``sealed_code`` holds the tracking code encrypted under a
    key derived from the submission key and the server secret until ``expires_at``; then it
    is erased (set to None) and the row stays, still refusing a second tip."""

    __tablename__ = "tip_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tip.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    sealed_code: Mapped[str | None] = mapped_column(Text)

    tip: Mapped[Tip] = relationship()


class OutboxMail(db.Model):
    """Mail waiting to be sent; drained by ``portal mail send`` so an outage loses nothing.

    A tip's receipt mail (``tip_id`` set) keeps no tracking code in clear: ``sealed_code``
    holds it encrypted (intake.receipts.seal_for_outbox) and the body is built when the
    mail is sent, in ``locale``; after sending, the sealed code is erased."""

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tip_id: Mapped[int | None] = mapped_column(ForeignKey("tip.id"))
    # A tip's mail: "receipt" (None in rows from before) or "notification"; its recipient
    # is looked up when it is sent (``to`` stays empty: no address in clear here).
    kind: Mapped[str | None] = mapped_column(String(20))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("tip_event.id"), unique=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    sealed_code: Mapped[str | None] = mapped_column(Text)
    # Extra headers, e.g. List-Unsubscribe on alert mail (portal.alerts).
    headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Retries back off until MAIL_MAX_ATTEMPTS; then the row is dead (kept, not retried).
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    dead_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)

    tip: Mapped[Tip | None] = relationship()
    event: Mapped[TipEvent | None] = relationship()


class CalendarDay(db.Model):
    """An administrator's calendar day: a holiday or a make-up working day (intake.calendar),
    for years chinese-calendar does not cover or to correct it."""

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    # "": every province; a province code (140000): that province only (wins there).
    province: Mapped[str] = mapped_column(String(6), primary_key=True, default="",
                                          server_default="")
    workday: Mapped[bool] = mapped_column(Boolean)  # False: holiday; True: make-up working day
    name: Mapped[str | None] = mapped_column(String(40))
