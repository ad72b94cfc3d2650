"""What the public pages read about typical cases (published ones only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..register import kinds
from .links import AGENCY
from .models import CaseLink, CaseTag, TypicalCase

PER_PAGE = 20


def public_cases(tag: str = ""):
    """The public cases (newest first), optionally those tagged ``tag``."""
    q = select(TypicalCase).where(TypicalCase.public_filter())
    if tag:
        q = q.where(exists().where(CaseTag.case_id == TypicalCase.id, CaseTag.tag == tag))
    return q.order_by(TypicalCase.published_on.desc(), TypicalCase.id.desc())


def page_of(query, page: int, per_page: int = PER_PAGE) -> tuple[list[TypicalCase], int]:
    total = db.session.scalar(select(db.func.count()).select_from(query.subquery())) or 0
    items = list(db.session.scalars(query.options(selectinload(TypicalCase.tags))
                                    .limit(per_page).offset((page - 1) * per_page)))
    return items, total


def public_case(case_id: int) -> TypicalCase | None:
    return db.session.get(TypicalCase, case_id)


def cases_about_agency(agency: Any) -> list[TypicalCase]:
    """Public cases linked to the agency or to any of its public records (one query)."""
    linked = [and_(CaseLink.kind == AGENCY, CaseLink.record_id == agency.id)]
    for kind in kinds.KINDS:
        model = kind.model
        linked.append(and_(CaseLink.kind == kind.key, CaseLink.record_id.in_(
            select(model.id).where(model.agency_id == agency.id, model.public_filter()))))
    case_ids = select(CaseLink.case_id).where(or_(*linked))
    return list(db.session.scalars(
        select(TypicalCase).where(TypicalCase.public_filter(), TypicalCase.id.in_(case_ids))
        .order_by(TypicalCase.published_on.desc(), TypicalCase.id.desc())))


def cases_about_record(record: Any) -> list[TypicalCase]:
    """Public cases linked to the record itself (one query)."""
    case_ids = select(CaseLink.case_id).where(CaseLink.kind == kinds.of(record).key,
                                              CaseLink.record_id == record.id)
    return list(db.session.scalars(
        select(TypicalCase).where(TypicalCase.public_filter(), TypicalCase.id.in_(case_ids))
        .order_by(TypicalCase.published_on.desc(), TypicalCase.id.desc())))
