"""Read side of association measures beyond the register's generic queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..register.models import Agent, AssociationMeasure


def agent_measures(agent: Agent) -> list[AssociationMeasure]:
    """The public measures against ``agent``, newest first."""
    if agent is None or getattr(agent, "id", None) is None:
        return []
    return list(db.session.scalars(
        select(AssociationMeasure)
        .where(AssociationMeasure.agent_id == agent.id, AssociationMeasure.public_filter())
        .options(joinedload(AssociationMeasure.agency))
        .order_by(AssociationMeasure.decided_on.desc(), AssociationMeasure.id.desc())))
