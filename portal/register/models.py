"""The register: divisions, bureaus, agencies and the four kinds of public record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    or_,
)
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship

from ..extensions import db
from ..timeutil import today as today_cn
from ..timeutil import utcnow


class Division(db.Model):
    """An administrative division (GB/T 2260), shipped as reference data."""

    __tablename__ = "division"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(10))  # province / city / district
    parent_code: Mapped[str | None] = mapped_column(String(6), index=True)
    # A retired code (abolished, merged or renumbered) is kept so that old records and
    # addresses still resolve; ``successor_code`` is the division that took it over.
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    successor_code: Mapped[str | None] = mapped_column(String(6))


class Bureau(db.Model):
    """A market-regulation / IP bureau, keyed by the division code it covers."""

    __tablename__ = "bureau"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(10))  # province / city / district
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bureau.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Bureau | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Bureau]] = relationship(back_populates="parent", order_by="Bureau.code")

    def __repr__(self) -> str:
        return f"<Bureau {self.code} {self.name}>"


class Agency(db.Model):
    """A patent and/or trademark agency in the register."""

    __tablename__ = "agency"
    # The directory filtered by grade, in name order, walks this index.
    __table_args__ = (Index("ix_agency_current_grade_name", "current_grade", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    licence_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # vocab.AGENCY_KINDS
    status: Mapped[str] = mapped_column(String(15), default="practising")  # AGENCY_STATUSES
    address: Mapped[str | None] = mapped_column(String(300))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    legal_rep: Mapped[str | None] = mapped_column(String(60))
    agent_count: Mapped[int] = mapped_column(Integer, default=0)
    established_on: Mapped[dt.date | None] = mapped_column(Date)
    branches: Mapped[str | None] = mapped_column(Text)  # one branch per line
    # Synthetic rows made by `portal demo` (cleared when it runs again).
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    bureau_id: Mapped[int] = mapped_column(ForeignKey("bureau.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Derived from the agency's public records, kept by the register's write services
    # (services.refresh_derived) in the transaction that changes them: the current grade
    # (its public credit grade with the latest period) and whether it is on a list now.
    # They hold until ``derived_until``, the first day a record of the agency enters or
    # leaves its publication window (None: no such day); from that day on the read side
    # computes them from the records until `portal register refresh` stores them again.
    current_grade: Mapped[str | None] = mapped_column(String(2))
    active_listing: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    derived_until: Mapped[dt.date | None] = mapped_column(Date, index=True)

    bureau: Mapped[Bureau] = relationship()
    former_names: Mapped[list[AgencyFormerName]] = relationship(
        back_populates="agency", cascade="all, delete-orphan",
        order_by=lambda: FORMER_NAME_ORDER,
    )

    def __repr__(self) -> str:
        return f"<Agency {self.uscc} {self.name}>"


class AgencyFormerName(db.Model):
    __tablename__ = "agency_former_name"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    until: Mapped[dt.date | None] = mapped_column(Date)  # date the name stopped being used

    agency: Mapped[Agency] = relationship(back_populates="former_names")


# The order of an agency's former names, wherever they are read (oldest first; the id
# decides between names dropped on the same day, so that every reader agrees).
FORMER_NAME_ORDER = (AgencyFormerName.until, AgencyFormerName.id)


class Agent(db.Model):
    """A patent agent (专利代理师): only what the national system already publishes about
    a person — name, practice certificate number, the agency they practise in and their
    practising status.  Never an ID number, phone or address."""

    __tablename__ = "agent"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 执业证号, the agent's public key (URLs, imports); unique.
    certificate_no: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    # The agency the agent practises in now (None: not practising in a registered agency).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    status: Mapped[str] = mapped_column(String(15), default="practising")  # vocab.AGENT_STATUSES
    certified_on: Mapped[dt.date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    agency: Mapped[Agency | None] = relationship()
    practices: Mapped[list[AgentPractice]] = relationship(
        back_populates="agent", cascade="all, delete-orphan",
        order_by="AgentPractice.started_on")

    def __repr__(self) -> str:
        return f"<Agent {self.certificate_no} {self.name}>"


class AgentPractice(db.Model):
    """One period of an agent's practice in an agency (from, to; to is None while current)."""

    __tablename__ = "agent_practice"
    __table_args__ = (Index("ix_agent_practice_agency", "agency_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)

    agent: Mapped[Agent] = relationship(back_populates="practices")
    agency: Mapped[Agency] = relationship()


class PublicRecord:
    """Columns and rules shared by the four kinds of public record.

    A record is public when its status is "published" and today falls inside
    its publication window.  Withdrawn, repaired and expired records are kept
    and their URLs explain that they are no longer published.
    """

    KIND: str = ""  # the key of the record's kind (portal.register.kinds)
    DATE_FIELD: str = ""  # the record's own date: when it was checked, decided, ...

    id: Mapped[int] = mapped_column(primary_key=True)
    authority: Mapped[str] = mapped_column(String(120))  # issuing authority, as published
    published_on: Mapped[dt.date] = mapped_column(Date, index=True)
    publication_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    # No single-column index on status: it has three values (nearly all "published"),
    # and without statistics SQLite would pick it over the agency/date indexes.
    status: Mapped[str] = mapped_column(String(12), default="published")
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Synthetic rows made by `portal demo` (cleared when it runs again).
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    @declared_attr
    def bureau_id(cls) -> Mapped[int | None]:  # the bureau that published it
        return mapped_column(ForeignKey("bureau.id"), index=True)

    @declared_attr
    def bureau(cls) -> Mapped[Bureau | None]:
        return relationship(Bureau)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("staff_user.id"))

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("staff_user.id"))

    @declared_attr
    def status_changed_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("staff_user.id"))

    @property
    def record_date(self) -> dt.date:
        return getattr(self, self.DATE_FIELD)

    # -- the publication rule, in one place --------------------------------
    def is_public(self, on: dt.date | None = None) -> bool:
        on = on or today_cn()
        return (
            self.status == "published"
            and self.published_on <= on
            and (self.publication_ends_on is None or self.publication_ends_on >= on)
        )

    def unpublished_reason(self, on: dt.date | None = None) -> str | None:
        """Why the record is not public: withdrawn / repaired / expired / scheduled, or None."""
        on = on or today_cn()
        if self.status != "published":
            return self.status
        if self.published_on > on:
            return "scheduled"
        if self.publication_ends_on is not None and self.publication_ends_on < on:
            return "expired"
        return None

    @classmethod
    def public_filter(cls, on: dt.date | None = None):
        on = on or today_cn()
        return and_(
            cls.status == "published",
            cls.published_on <= on,
            or_(cls.publication_ends_on.is_(None), cls.publication_ends_on >= on),
        )


class SpotCheck(PublicRecord, db.Model):
    """抽查检查结果 (双随机、一公开)."""

    __tablename__ = "spot_check"
    __table_args__ = (UniqueConstraint("task_number", "agency_id"),)
    KIND = "spot_check"
    DATE_FIELD = "completed_on"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    task_number: Mapped[str] = mapped_column(String(60))
    task_name: Mapped[str] = mapped_column(String(200))
    check_type: Mapped[str] = mapped_column(String(20))  # vocab.SPOT_CHECK_TYPES
    completed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    result: Mapped[str] = mapped_column(String(60))  # vocab.SPOT_CHECK_RESULTS
    remarks: Mapped[str | None] = mapped_column(Text)

    agency: Mapped[Agency] = relationship()


class Penalty(PublicRecord, db.Model):
    """行政处罚决定书.  The party may be an unregistered operator (agency_id is None)."""

    __tablename__ = "penalty"
    KIND = "penalty"
    DATE_FIELD = "decided_on"

    decision_number: Mapped[str] = mapped_column(String(80))  # as published
    # The natural key: the number in one spelling (cleaning.decision_key).
    decision_key: Mapped[str] = mapped_column(String(80), unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    # A penalty against a registered patent agent: the agent; ``agency_id`` is then the
    # agency the agent practised in at the time of the decision (None if none).
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), index=True)
    party_name: Mapped[str] = mapped_column(String(200))
    party_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    legal_rep: Mapped[str | None] = mapped_column(String(60))
    violation_type: Mapped[str] = mapped_column(String(60))
    facts: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    penalty_kinds: Mapped[str] = mapped_column(String(200))  # "、"-joined vocab.PENALTY_KINDS
    fine_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    confiscation_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    suspension_months: Mapped[int | None] = mapped_column(Integer)
    decided_on: Mapped[dt.date] = mapped_column(Date, index=True)
    full_text: Mapped[str | None] = mapped_column(Text)

    agency: Mapped[Agency | None] = relationship()
    agent: Mapped[Agent | None] = relationship()

    @property
    def agent_certificate_no(self) -> str | None:
        """issue 14 — patent agents: the agent's 执业证号 (the import / download column)."""
        return self.agent.certificate_no if self.agent is not None else None

    @property
    def penalty_kind_list(self) -> list[str]:
        return [k for k in self.penalty_kinds.split("、") if k]


class CreditGrade(PublicRecord, db.Model):
    """专利代理信用评价: stored as published, never computed."""

    __tablename__ = "credit_grade"
    __table_args__ = (UniqueConstraint("agency_id", "period"),
                      # directory filter "current grade = X": the grade's rows, then their agencies
                      Index("ix_credit_grade_grade_agency", "grade", "agency_id"))
    KIND = "credit_grade"
    DATE_FIELD = "evaluated_on"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))  # e.g. "2025"
    grade: Mapped[str] = mapped_column(String(2))  # vocab.CREDIT_GRADES
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    evaluated_on: Mapped[dt.date] = mapped_column(Date)
    # The reasons the evaluating authority published with the grade (扣分事由), as published.
    reasons: Mapped[str | None] = mapped_column(Text)

    agency: Mapped[Agency] = relationship()


class ListEntry(PublicRecord, db.Model):
    """经营异常名录 / 严重违法失信名单 entry; a removed entry stays visible, marked removed."""

    __tablename__ = "list_entry"
    __table_args__ = (UniqueConstraint("agency_id", "list_kind", "included_on"),)
    KIND = "list_entry"
    DATE_FIELD = "included_on"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    list_kind: Mapped[str] = mapped_column(String(10))  # vocab.LIST_KINDS
    inclusion_reason: Mapped[str] = mapped_column(String(120))
    included_on: Mapped[dt.date] = mapped_column(Date, index=True)
    inclusion_authority: Mapped[str] = mapped_column(String(120))
    inclusion_decision_number: Mapped[str | None] = mapped_column(String(80))
    removal_reason: Mapped[str | None] = mapped_column(String(120))
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    removal_authority: Mapped[str | None] = mapped_column(String(120))

    agency: Mapped[Agency] = relationship()

    @property
    def is_active(self) -> bool:
        return self.removed_on is None


# issue 14 — association measures (行业自律惩戒) ------------------------------------

class AssociationMeasureKind(db.Model):
    """A kind of self-discipline measure (约谈, 训诫, ...): data the association publisher
    edits (portal.association.measure_kinds); records store its ``key``."""

    __tablename__ = "association_measure_kind"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(30), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    severity: Mapped[int] = mapped_column(Integer, default=0)  # lighter first
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AssociationMeasure(PublicRecord, db.Model):
    """行业自律惩戒: a measure of a patent-agency association against an agency or a
    registered agent (then ``agency_id`` is the agent's agency on the decision date)."""

    __tablename__ = "association_measure"
    KIND = "association_measure"
    DATE_FIELD = "decided_on"

    # The natural key in one spelling: "n:" + the decision number's key when there is a
    # number, else "p:" + party, measure and date (portal.association.measure_kinds).
    measure_key: Mapped[str] = mapped_column(String(300), unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), index=True)
    party_name: Mapped[str] = mapped_column(String(200))
    party_uscc: Mapped[str | None] = mapped_column(String(18))
    agent_certificate_no: Mapped[str | None] = mapped_column(String(40))
    measure: Mapped[str] = mapped_column(String(30), index=True)  # AssociationMeasureKind.key
    facts: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_on: Mapped[dt.date] = mapped_column(Date, index=True)
    decision_number: Mapped[str | None] = mapped_column(String(80))

    agency: Mapped[Agency | None] = relationship()
    agent: Mapped[Agent | None] = relationship()


class RegisterEvent(db.Model):
    """One change to an agency or a record, appended and never changed (the history).

    ``subject`` is "agency" or a record kind's key; ``changes`` maps each field to
    [old, new] (as text); ``via`` says how: form, import, cli, system.
    """

    __tablename__ = "register_event"
    __table_args__ = (Index("ix_register_event_subject", "subject", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))  # vocab.HISTORY_ACTIONS
    changes: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    via: Mapped[str] = mapped_column(String(10), default="system")
    source: Mapped[str | None] = mapped_column(String(200))  # the import file's name
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    actor = relationship("StaffUser")


# Rows written with Core statements (bulk imports) bypass the ORM's flush events: their
# keys ("<kind>:<id>") are collected in ``session.info[WRITTEN_ROWS]`` for the followers
# that act after commit (the search index), which also drop them on rollback.
WRITTEN_ROWS = "register_written_rows"


def note_written(session, kind: str, ids) -> None:
    session.info.setdefault(WRITTEN_ROWS, set()).update(f"{kind}:{i}" for i in ids)


@event.listens_for(Session, "before_flush")
def _history_is_append_only(session, _context, _instances) -> None:
    """History entries are written once: changing or deleting one is a programming error."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, RegisterEvent) and (obj in session.deleted
                                              or session.is_modified(obj)):
            raise RuntimeError("register history is append-only")


class SiteMeta(db.Model):
    """Small key/value facts about the installation (e.g. that it holds demo data)."""

    __tablename__ = "site_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
