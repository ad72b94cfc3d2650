"""The access audit: who viewed a reporter's identity or downloaded an evidence file.

Append-only: ``record`` adds a row; the mapper refuses to update or delete one (the purge
of a tip leaves its audit entries).  Bureau leads read the entries of their bureau, the
provincial administrator those of every bureau of the province
(``permissions.can_read_audit``).
"""

from __future__ import annotations

from sqlalchemy import event

from portal.errors import PortalError
from portal.extensions import db

from .models import AccessAudit, Attachment, Tip

IDENTITY, DOWNLOAD = "identity", "download"
PAGE_SIZE = 50


class AuditIsAppendOnly(PortalError):
    status = 500


def record(user, tip: Tip, what: str, attachment: Attachment | None = None) -> AccessAudit:
    """Append one entry (flushes; the view commits it with the response)."""
    entry = AccessAudit(actor_id=user.id, tip_id=tip.id, bureau_id=tip.bureau_id, what=what,
                        attachment_id=attachment.id if attachment is not None else None,
                        detail=attachment.download_name[:300] if attachment is not None else None)
    db.session.add(entry)
    db.session.flush()
    return entry


def entries(bureau_ids: list[int], *, page: int = 1, tip_id: int | None = None):
    """The entries of these bureaus, newest first, one page; returns (rows, total)."""
    query = db.select(AccessAudit).where(AccessAudit.bureau_id.in_(bureau_ids))
    if tip_id is not None:
        query = query.where(AccessAudit.tip_id == tip_id)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(query.order_by(AccessAudit.id.desc())
                                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return rows, total


def _refuse(_mapper, _connection, _target):
    raise AuditIsAppendOnly("access audit entries are never changed or deleted")


event.listen(AccessAudit, "before_update", _refuse)
event.listen(AccessAudit, "before_delete", _refuse)
