"""Typical cases (典型案例): short articles a bureau or the association publishes about
records of the register, their links to those records and their history."""

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
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from ..register.models import Bureau
from ..timeutil import today as today_cn
from ..timeutil import utcnow

# The states of a case (labels: portal.cases.services.STATUSES).
DRAFT, PUBLISHED, WITHDRAWN = "draft", "published", "withdrawn"
# Who published it: a bureau, or the association (through its publisher's account).
BUREAU, ASSOCIATION = "bureau", "association"


class TypicalCase(db.Model):
    __tablename__ = "typical_case"
    __table_args__ = (Index("ix_typical_case_status_published_on", "status", "published_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # Markdown source (portal.cases.markdown renders it)
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    # The publisher: the bureau whose staff publish it (the association's publisher account
    # belongs to a bureau too), whether a bureau or the association, and the name shown.
    bureau_id: Mapped[int] = mapped_column(ForeignKey("bureau.id"), index=True)
    publisher_kind: Mapped[str] = mapped_column(String(12), default=BUREAU)
    publisher_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), default=DRAFT)
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    bureau: Mapped[Bureau] = relationship()
    tags: Mapped[list[CaseTag]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseTag.tag")
    links: Mapped[list[CaseLink]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseLink.id")

    @property
    def record_date(self) -> dt.date | None:  # what search results show as a hit's date
        return self.published_on

    @property
    def tag_list(self) -> list[str]:
        return [t.tag for t in self.tags]

    def is_public(self, on: dt.date | None = None) -> bool:
        on = on or today_cn()
        return (self.status == PUBLISHED and self.published_on is not None
                and self.published_on <= on)

    @classmethod
    def public_filter(cls, on: dt.date | None = None):
        on = on or today_cn()
        return db.and_(cls.status == PUBLISHED, cls.published_on <= on)

    def __repr__(self) -> str:
        return f"<TypicalCase {self.id} {self.title}>"


class CaseTag(db.Model):
    """A case's violation category (portal.register.vocab.VIOLATION_TYPES)."""

    __tablename__ = "typical_case_tag"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("typical_case.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)

    case: Mapped[TypicalCase] = relationship(back_populates="tags")


class CaseLink(db.Model):
    """What a case is about: an agency ("agency") or a record of a kind of the registry
    (portal.register.kinds), by id.  Resolved through the registry (portal.cases.links)."""

    __tablename__ = "typical_case_link"
    __table_args__ = (UniqueConstraint("case_id", "kind", "record_id"),
                      Index("ix_typical_case_link_target", "kind", "record_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("typical_case.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)

    case: Mapped[TypicalCase] = relationship(back_populates="links")


class CaseEvent(db.Model):
    """One change to a case, appended and never changed: created, edited (``changes``
    maps each field to [old, new]), published, withdrawn (with the reason)."""

    __tablename__ = "typical_case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("typical_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    changes: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    actor = relationship("StaffUser")


@event.listens_for(Session, "before_flush")
def _history_is_append_only(session, _context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, CaseEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("typical case history is append-only")
