"""Tracking codes: 90 random bits as 18 Crockford base32 characters (ABCD-EFGH-JKMN-PQRS-TV),
stored only as a SHA-256 hash.  Case references (JB-2026-000123) are not secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 18  # 18 x 5 = 90 bits
_DECODE_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_DUMMY_HASH = hashlib.sha256(b"lantian-tip:not-a-code").hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalize(text: str | None) -> str | None:
    """Canonical form of what a reporter typed (case, spaces, hyphens, I/L/O ignored);
    None when it cannot be a code."""
    if not text:
        return None
    cleaned = "".join(ch for ch in text.upper() if ch not in " -_\t\r\n").translate(
        _DECODE_ALIASES
    )
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def hash_code(code: str) -> str:
    canonical = normalize(code)
    if canonical is None:
        raise ValueError("not a tracking code")
    return hashlib.sha256(f"lantian-tip:{canonical}".encode()).hexdigest()


def lookup_hash(text: str | None) -> str:
    """The hash to look up for any input: malformed input hashes to a value no tip has,
    so every answer takes the same path."""
    canonical = normalize(text)
    if canonical is None:
        return _DUMMY_HASH
    return hash_code(canonical)


def hashes_equal(a: str | None, b: str) -> bool:
    return hmac.compare_digest((a or _DUMMY_HASH).encode(), b.encode())
