"""Encryption at rest of the reporter's data: identity and contact columns, the
notification-only address and every evidence file.

AES-256-GCM (``cryptography``'s AESGCM: authenticated, a fresh 96-bit nonce per value).
Every ciphertext carries the identifier of the key that sealed it::

    b"LTK1" | key id (8 ASCII hex characters) | nonce (12 bytes) | ciphertext + tag

The keys come from ``PORTAL_DATA_KEY``: one or more urlsafe-base64 32-byte keys separated
by commas; the FIRST seals new data, all of them open data (a key rotation lists the new
key first and the old one after it until ``portal keys rotate`` has re-encrypted
everything).  The key id is derived from the key (a hash prefix), so it never reveals it.
Production refuses to start without a key; development and the tests derive one from the
secret key and say so in the log.

Values written before encryption existed (no ``LTK1`` prefix) are read as plaintext and
encrypted by the next ``portal keys rotate``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from portal.errors import PortalError

log = logging.getLogger(__name__)

MAGIC = b"LTK1"
KEY_ID_LEN = 8
NONCE_LEN = 12
HEADER_LEN = len(MAGIC) + KEY_ID_LEN + NONCE_LEN
_EXT_KEY = "intake_keyring"


class KeyError_(PortalError):  # noqa: N801 - not the builtin KeyError
    """No usable data key, or a ciphertext sealed by a key that is not configured."""

    status = 500


def new_key() -> str:
    """A fresh random key for PORTAL_DATA_KEY (urlsafe base64 of 32 bytes)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"lantian-data-key-id:" + key).hexdigest()[:KEY_ID_LEN]


def _parse_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise KeyError_("PORTAL_DATA_KEY must hold urlsafe-base64 keys of 32 bytes "
                        "(`portal keys generate` prints one).")
    return raw


@dataclass(frozen=True)
class Keyring:
    """The configured keys: ``current`` seals, every key in ``keys`` opens."""

    current: str
    keys: dict[str, bytes]
    derived: bool = False

    def seal(self, plaintext: bytes, purpose: str) -> bytes:
        nonce = os.urandom(NONCE_LEN)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, purpose.encode())
        return MAGIC + self.current.encode() + nonce + sealed

    def open(self, blob: bytes, purpose: str) -> bytes:
        """The plaintext of ``blob``; a blob without the header is legacy plaintext."""
        if not is_sealed(blob):
            return bytes(blob)
        kid = blob_key_id(blob)
        key = self.keys.get(kid)
        if key is None:
            raise KeyError_(f"data sealed with key {kid}, which PORTAL_DATA_KEY does not hold")
        nonce = blob[len(MAGIC) + KEY_ID_LEN:HEADER_LEN]
        try:
            return AESGCM(key).decrypt(nonce, blob[HEADER_LEN:], purpose.encode())
        except InvalidTag:
            raise KeyError_("a ciphertext failed authentication (tampered or wrong key)") from None


def is_sealed(blob: bytes | None) -> bool:
    return blob is not None and bytes(blob[:len(MAGIC)]) == MAGIC and len(blob) >= HEADER_LEN


def blob_key_id(blob: bytes) -> str | None:
    """The key id stored with a ciphertext (None: legacy plaintext)."""
    if not is_sealed(blob):
        return None
    return bytes(blob[len(MAGIC):len(MAGIC) + KEY_ID_LEN]).decode("ascii", "replace")


def build_keyring(config) -> Keyring:
    text = (config.get("DATA_KEY") or "").strip()
    if text:
        parsed = [_parse_key(part) for part in text.split(",") if part.strip()]
        keys = {key_id(k): k for k in parsed}
        return Keyring(current=key_id(parsed[0]), keys=keys)
    secret = str(config.get("SECRET_KEY") or "").encode()
    derived = hashlib.sha256(b"lantian-development-data-key:" + secret).digest()
    return Keyring(current=key_id(derived), keys={key_id(derived): derived}, derived=True)


def check_data_key(app: Flask) -> None:
    """Refuse to start in production without PORTAL_DATA_KEY; say so when a development
    key is derived (data sealed with it is tied to the secret key)."""
    ring = build_keyring(app.config)  # raises on a malformed key
    if not ring.derived:
        return
    if app.config.get("PORTAL_ENV") == "production":
        from portal.security import InsecureConfigError

        raise InsecureConfigError(
            "PORTAL_DATA_KEY must be set in production: it encrypts the reporters' identity "
            "and the evidence files (`portal keys generate` prints one; keep it apart from "
            "the backups).")
    if not app.config.get("TESTING"):
        log.warning("PORTAL_DATA_KEY is not set: using a development data key derived from "
                    "the secret key.  Set PORTAL_DATA_KEY outside development.")


def keyring() -> Keyring:
    """The current app's keyring (built once per configured value)."""
    config = current_app.config
    marker = (config.get("DATA_KEY"), config.get("SECRET_KEY"))
    cached = current_app.extensions.get(_EXT_KEY)
    if cached is None or cached[0] != marker:
        cached = (marker, build_keyring(config))
        current_app.extensions[_EXT_KEY] = cached
    return cached[1]


def seal(plaintext: bytes, purpose: str) -> bytes:
    return keyring().seal(plaintext, purpose)


def open_sealed(blob: bytes, purpose: str) -> bytes:
    return keyring().open(blob, purpose)


def needs_rotation(blob: bytes | None) -> bool:
    """True for a value not sealed with the current key (legacy plaintext included)."""
    return blob is not None and blob_key_id(blob) != keyring().current


class EncryptedText(TypeDecorator):
    """A text column stored sealed (bytes: BLOB / bytea); reads give the text back."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: str, *args, **kwargs):
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return seal(str(value).encode(), self.purpose)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # legacy plaintext in a SQLite TEXT cell
            return value
        return open_sealed(bytes(value), self.purpose).decode()
