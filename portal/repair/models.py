"""Credit repair applications (信用修复申请), their append-only events and their files.

An application asks the bureau that published a penalty (or a serious-dishonesty list
entry) to stop publishing it early.  ``status`` and the decision columns are kept in step
with ``RepairEvent`` rows by ``portal.repair.services``, the only code that changes them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from intake.crypto import EncryptedText
from intake.models import Attachment

from ..auth.models import StaffUser
from ..extensions import db
from ..register.models import Agency, Bureau
from ..timeutil import utcnow

RECEIVED, APPROVED, REFUSED = "received", "approved", "refused"
STATUSES = (RECEIVED, APPROVED, REFUSED)


class RepairApplication(db.Model):
    """One application for one record (``record_kind`` + ``record_id``).

    ``open_key`` is "<kind>:<id>" while the application is undecided and None afterwards:
    its unique constraint allows one open application per record, whatever two requests
    do at the same time.
    """

    __tablename__ = "repair_application"
    __table_args__ = (Index("ix_repair_application_record", "record_kind", "record_id"),
                      Index("ix_repair_application_queue", "bureau_id", "status", "due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Shown to staff and on the receipt, e.g. XF-2026-000012 (not a secret).
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # The tracking code is shown once; only its hash is stored (intake.codes).
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    # The form's submission key (intake.receipts: its SHA-256, unique) and the tracking code
    # sealed under it until ``sealed_until``: a double click, or Back and submit again,
    # files one application and shows its receipt again instead of an error.
    submission_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sealed_code: Mapped[str | None] = mapped_column(Text)
    sealed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)

    # The applicant as they gave it (checked against the record's party when filed).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    applicant_uscc: Mapped[str] = mapped_column(String(18))
    licence_no: Mapped[str | None] = mapped_column(String(40))
    # The contact: personal data, encrypted like a reporter's identity.
    contact_name: Mapped[str] = mapped_column(EncryptedText("repair_application.contact_name"))
    contact_phone: Mapped[str | None] = mapped_column(
        EncryptedText("repair_application.contact_phone"))
    contact_email: Mapped[str | None] = mapped_column(
        EncryptedText("repair_application.contact_email"))
    statement: Mapped[str] = mapped_column(Text)

    # Where it stands (kept in step with the events by portal.repair.services).
    status: Mapped[str] = mapped_column(String(12), default=RECEIVED)
    bureau_id: Mapped[int] = mapped_column(ForeignKey("bureau.id"))
    received_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    identity_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    identity_verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    agency: Mapped[Agency | None] = relationship()
    bureau: Mapped[Bureau] = relationship()
    identity_verified_by: Mapped[StaffUser | None] = relationship(
        foreign_keys=[identity_verified_by_id])
    decided_by: Mapped[StaffUser | None] = relationship(foreign_keys=[decided_by_id])
    events: Mapped[list[RepairEvent]] = relationship(
        back_populates="application", order_by="RepairEvent.id", cascade="all, delete-orphan")
    files: Mapped[list[RepairFile]] = relationship(
        back_populates="application", order_by="RepairFile.id", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status == RECEIVED

    @property
    def identity_verified(self) -> bool:
        return self.identity_verified_at is not None


class RepairEvent(db.Model):
    """Append-only history of an application.  Rows are never updated or deleted."""

    __tablename__ = "repair_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("repair_application.id"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(20))  # submitted / identity_verified / ...
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    status_after: Mapped[str] = mapped_column(String(12))
    # Text the applicant reads on the tracking page (None: not shown there).
    public_text: Mapped[str | None] = mapped_column(Text)
    # Text for staff only.
    internal_text: Mapped[str | None] = mapped_column(Text)

    application: Mapped[RepairApplication] = relationship(back_populates="events")
    actor: Mapped[StaffUser | None] = relationship()


class RepairFile(db.Model):
    """A file of an application, stored by ``intake.storage`` exactly like tip evidence
    (checked by content, metadata removed, encrypted, random name outside static/)."""

    __tablename__ = "repair_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("repair_application.id"),
                                                index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    received_sha256: Mapped[str | None] = mapped_column(String(64))
    clean_status: Mapped[str | None] = mapped_column(String(20))
    metadata_removed: Mapped[list | None] = mapped_column(JSON)
    key_id: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    application: Mapped[RepairApplication] = relationship(back_populates="files")

    # The same naming rules as tip evidence (the detected type's extension, never theirs).
    extension = Attachment.extension
    download_name = Attachment.download_name


@event.listens_for(Session, "before_flush")
def _events_are_append_only(session, _context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, RepairEvent) and (obj in session.deleted
                                            or session.is_modified(obj)):
            raise RuntimeError("repair application history is append-only")
