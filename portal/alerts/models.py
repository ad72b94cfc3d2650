"""Alert subscriptions and the deliveries made for them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class AlertSubscription(db.Model):
    """Someone's e-mail subscription to an agency, or to a region (and optionally one kind
    of record).  ``target`` is the canonical form ("agency:<id>" or
    "region:<code>:<kind or *>"), unique per address.  Only confirmed, not unsubscribed
    subscriptions receive alerts."""

    __tablename__ = "alert_subscription"
    __table_args__ = (UniqueConstraint("email", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    target: Mapped[str] = mapped_column(String(40))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    kind: Mapped[str | None] = mapped_column(String(20))  # a record kind; None: every kind
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_digest_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    agency = relationship("Agency")

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class AlertDelivery(db.Model):
    """One change announced to one subscription.  (subscription, change) is unique: a
    change read twice (``portal alerts send`` re-reads an overlap) is announced once.
    ``mail_id`` is the outbox mail that carried it (None: waiting for the daily digest)."""

    __tablename__ = "alert_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "change_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("alert_subscription.id", ondelete="CASCADE"), index=True)
    change_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # "agency" or a record kind
    object_id: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(12))  # new / corrected / withdrawn / ...
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mail.id"), index=True)

    subscription: Mapped[AlertSubscription] = relationship()
