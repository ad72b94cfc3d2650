"""Submission keys and sealed tracking codes: one tap files one tip, a retry shows the receipt.

Each rendered tip form carries a fresh submission key (256 random bits; only the reporter's
page holds it).  Filing a tip stores a ``TipSubmission`` row with the key's SHA-256 under a
unique constraint, in the transaction that stores the tip: of any number of POSTs with one
key, from any worker or process, exactly one commits a tip.  Every other one finds the row
and answers with the receipt again.

For ``TIP_RECEIPT_WINDOW_MINUTES`` (30) after filing, the row also keeps the tracking code,
encrypted (Fernet: AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package) under a key
derived with HKDF-SHA256 from the submission key and the server secret.  Neither the
database nor the secret alone opens it; the reporter's retry (which carries the key) does.
When the window ends the sealed code is erased (``erase_expired``: at every filing and by
``portal tips erase-receipts``) and a retry shows the receipt without the code.

Receipt mail queued in the outbox keeps its code sealed the same way under a key derived
from the server secret alone (``seal_for_outbox``): the mail body is built at send time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import update

from portal.extensions import db

from .models import Tip, TipSubmission

KEY_BYTES = 32
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
_RECEIPT_INFO = b"lantian tip receipt v1"
_OUTBOX_INFO = b"lantian outbox receipt v1"


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def is_key(text: str | None) -> bool:
    return bool(text) and bool(KEY_RE.match(text or ""))


def key_hash(key: str) -> str:
    return hashlib.sha256(b"lantian-submission:" + key.encode()).hexdigest()


def window() -> dt.timedelta:
    return dt.timedelta(minutes=int(current_app.config["TIP_RECEIPT_WINDOW_MINUTES"]))


def _fernet(material: bytes, info: bytes) -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=secret, info=info).derive(material)
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(code: str, key: str) -> str:
    """``code`` encrypted under the submission key and the server secret."""
    return _fernet(key.encode(), _RECEIPT_INFO).encrypt(code.encode()).decode()


def unseal(token: str | None, key: str) -> str | None:
    """The code, or None (erased, another key, another server secret, tampered)."""
    if not token:
        return None
    try:
        return _fernet(key.encode(), _RECEIPT_INFO).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def seal_for_outbox(code: str) -> str:
    return _fernet(b"outbox", _OUTBOX_INFO).encrypt(code.encode()).decode()


def unseal_from_outbox(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet(b"outbox", _OUTBOX_INFO).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def record(tip: Tip, key: str, code: str, now: dt.datetime) -> TipSubmission:
    """The submission row of a new tip (added, not flushed)."""
    row = TipSubmission(key_hash=key_hash(key), tip=tip, created_at=now,
                        expires_at=now + window(), sealed_code=seal(code, key))
    db.session.add(row)
    return row


@dataclass
class Replay:
    """What a repeated POST of an already used key shows: the tip, and the code while the
    window lasts (None afterwards)."""

    tip: Tip
    code: str | None


def find(key: str | None, now: dt.datetime) -> Replay | None:
    """The tip already filed with ``key`` (and its code while the window lasts), or None."""
    if not is_key(key):
        return None
    row = db.session.scalar(db.select(TipSubmission)
                            .where(TipSubmission.key_hash == key_hash(key or "")))
    if row is None:
        return None
    code = unseal(row.sealed_code, key or "") if row.expires_at > now else None
    return Replay(row.tip, code)


def erase_expired(now: dt.datetime) -> int:
    """Erase the sealed codes whose window has ended; the number erased (not committed)."""
    result = db.session.execute(
        update(TipSubmission)
        .where(TipSubmission.expires_at <= now, TipSubmission.sealed_code.is_not(None))
        .values(sealed_code=None)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
