"""Retention and keys: ``portal tips purge`` and ``portal keys rotate``.

Purge: TIP_RETENTION_YEARS (default 5) after a tip was concluded, its evidence files are
deleted from disk (the rows stay, marked purged, with name, size and hashes), the
reporter's identity and notification address are erased and queued mail to them is
dropped; a "purged" event records it.  The tip's facts and timeline stay.

Rotate: every sealed value not under the current key (the first of PORTAL_DATA_KEY) is
sealed again under it, in batches committed one by one, while the site runs (old and new
keys both open data until the old one is removed from PORTAL_DATA_KEY).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import LargeBinary, select, type_coerce
from sqlalchemy.orm.attributes import flag_modified

from portal.extensions import db

from . import crypto, storage, workflow
from .models import Attachment, OutboxMail, Tip, TipNotifyAddress, TipStatus

IDENTITY_COLUMNS = ("reporter_name", "reporter_phone", "reporter_email")


def cutoff(now: dt.datetime, years: int) -> dt.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def due_for_purge(now: dt.datetime, years: int) -> list[Tip]:
    return list(db.session.scalars(
        select(Tip).where(Tip.status == TipStatus.CONCLUDED, Tip.purged_at.is_(None),
                          Tip.concluded_at <= cutoff(now, years))
        .order_by(Tip.concluded_at, Tip.id)))


@dataclass
class Purged:
    tip: Tip
    files: int = 0
    identity: bool = False


def purge_tip(tip: Tip, now: dt.datetime) -> Purged:
    """Remove the tip's files and reporter identity (flushes; the caller commits)."""
    result = Purged(tip)
    for attachment in tip.attachments:
        if attachment.purged_at is None:
            storage.remove_file(attachment)
            attachment.purged_at = now
            attachment.key_id = None
            result.files += 1
    result.identity = bool(tip.reporter_name or tip.reporter_phone or tip.reporter_email
                           or tip.notify_address)
    tip.reporter_name = tip.reporter_phone = tip.reporter_email = None
    tip.notify_address = None
    tip.purged_at = now
    for mail in db.session.scalars(select(OutboxMail).where(
            OutboxMail.tip_id == tip.id, OutboxMail.sent_at.is_(None),
            OutboxMail.dead_at.is_(None))):
        mail.dead_at = now
        mail.last_error = "purged"
        mail.sealed_code = None
    workflow._event(tip, "purged", None,
                    data={"files": result.files, "identity": result.identity})
    db.session.flush()
    return result


@dataclass
class Rotation:
    tips: int = 0
    addresses: int = 0
    files: int = 0
    errors: list[str] = field(default_factory=list)


def _raw_rows(table, columns):
    """(id, raw bytes...) of rows, read without the decrypting column type."""
    cols = [table.c.id, *(type_coerce(table.c[name], LargeBinary) for name in columns)]
    return db.session.execute(select(*cols).select_from(table)).all()


def rotate(batch: int = 200) -> Rotation:
    """Seal again under the current key every value that is not (commits per batch)."""
    result = Rotation()
    tip_table = Tip.__table__
    stale_tips = [row.id for row in _raw_rows(tip_table, IDENTITY_COLUMNS)
                  if any(crypto.needs_rotation(_raw(v)) for v in row[1:])]
    for start in range(0, len(stale_tips), batch):
        for tip in db.session.scalars(select(Tip).where(
                Tip.id.in_(stale_tips[start:start + batch]))):
            for name in IDENTITY_COLUMNS:  # a write seals with the current key
                if getattr(tip, name) is not None:
                    flag_modified(tip, name)
            result.tips += 1
        db.session.commit()
    address_table = TipNotifyAddress.__table__
    stale = [row.id for row in _raw_rows(address_table, ("email",))
             if crypto.needs_rotation(_raw(row[1]))]
    for address in db.session.scalars(select(TipNotifyAddress).where(
            TipNotifyAddress.id.in_(stale))):
        flag_modified(address, "email")
        result.addresses += 1
    db.session.commit()
    current = crypto.keyring().current
    pending = list(db.session.scalars(select(Attachment.id).where(
        Attachment.purged_at.is_(None),
        (Attachment.key_id.is_(None)) | (Attachment.key_id != current))))
    for start in range(0, len(pending), batch):
        for attachment in db.session.scalars(select(Attachment).where(
                Attachment.id.in_(pending[start:start + batch]))):
            try:
                if storage.rewrite_sealed(attachment):
                    result.files += 1
            except crypto.KeyError_ as exc:
                result.errors.append(f"attachment {attachment.id}: {exc.message}")
        db.session.commit()
    return result


def _raw(value) -> bytes | None:
    if value is None:
        return None
    return value.encode() if isinstance(value, str) else bytes(value)
