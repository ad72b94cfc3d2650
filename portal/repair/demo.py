"""Demo data and credit repair: applications about demo records go with them."""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from ..extensions import db
from ..register.models import Agency, ListEntry, Penalty
from .models import RepairApplication, RepairEvent, RepairFile


def clear_demo_applications() -> None:
    """Delete applications that are demo rows or concern demo agencies or records (their
    files on disk become orphans that `portal storage check --fix` removes)."""
    demo_agencies = select(Agency.id).where(Agency.is_demo.is_(True))
    doomed = select(RepairApplication.id).where(or_(
        RepairApplication.is_demo.is_(True),
        RepairApplication.agency_id.in_(demo_agencies),
        (RepairApplication.record_kind == "penalty") & RepairApplication.record_id.in_(
            select(Penalty.id).where(Penalty.is_demo.is_(True))),
        (RepairApplication.record_kind == "list_entry") & RepairApplication.record_id.in_(
            select(ListEntry.id).where(ListEntry.is_demo.is_(True))),
    ))
    ids = list(db.session.scalars(doomed))
    if not ids:
        return
    for model in (RepairEvent, RepairFile):
        db.session.execute(delete(model).where(model.application_id.in_(ids)))
    db.session.execute(delete(RepairApplication).where(RepairApplication.id.in_(ids)))
