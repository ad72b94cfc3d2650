"""Printable reports with a verification code.

Issuing a report stores its code, what it said (the snapshot: the facts shown, as plain JSON),
the time it was made, the register's as-of time, the permalink and the SHA-256 of all that
content — never who asked for it.  ``/verify`` finds a report by its code and shows it again.
The PDF is WeasyPrint's rendering of the report page (print stylesheet); the browser's own
print path gives the same page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mimetypes
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from ..extensions import db
from ..register.models import RegisterEvent
from ..timeutil import utcnow
from .models import IssuedReport

KINDS = ("profile", "compare", "check")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 12  # 31^12 ≈ 7.9e17 codes
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def clean_code(text: str | None) -> str:
    """A code as typed (lower case, dashes, spaces) in its stored form."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:CODE_LENGTH * 2]


def as_of() -> dt.datetime:
    """The register's last change (its newest history entry), else now."""
    last = db.session.scalar(select(RegisterEvent.at).order_by(RegisterEvent.id.desc()).limit(1))
    return last or utcnow()


def content_of(report: IssuedReport) -> dict:
    return {"code": report.code, "kind": report.kind,
            "issued_at": report.issued_at.isoformat(timespec="seconds"),
            "as_of": report.as_of.isoformat(timespec="seconds"),
            "permalink": report.permalink, "snapshot": report.snapshot}


def content_hash(report: IssuedReport) -> str:
    text = json.dumps(content_of(report), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def issue_report(kind: str, snapshot: dict, permalink: str, locale: str) -> IssuedReport:
    if kind not in KINDS:
        raise ValueError(kind)
    report = IssuedReport(code=new_code(), kind=kind,
                          issued_at=utcnow().replace(microsecond=0),
                          as_of=as_of().replace(microsecond=0), permalink=permalink,
                          locale=locale, snapshot=snapshot, content_sha256="")
    report.content_sha256 = content_hash(report)
    db.session.add(report)
    db.session.flush()
    return report


def find_report(code: str | None) -> IssuedReport | None:
    code = clean_code(code).translate(_READ_AS)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(select(IssuedReport).where(IssuedReport.code == code))


def is_intact(report: IssuedReport) -> bool:
    """The stored content still has the hash it was issued with."""
    return content_hash(report) == report.content_sha256


def qr_svg(url: str, title: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(scale=3, title=title, border=2)


# -- PDF -----------------------------------------------------------------------------

class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library it needs) is not installed."""


def render_pdf(html: str, base_url: str, static_dir: str) -> bytes:
    """The report page as PDF.  Only the portal's own static files are read (from disk); any
    other URL in the page is refused, so rendering never reaches the network."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        raise PdfUnavailable(str(exc)) from exc

    static_root = Path(static_dir).resolve()
    prefix = urlsplit(base_url).path.rstrip("/") + "/static/"

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.path.startswith(prefix):
                path = (static_root / parts.path[len(prefix):]).resolve()
                if static_root in path.parents and path.is_file():
                    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=path.read_bytes(),
                                              headers={"Content-Type": kind})
            raise ValueError(f"not fetched: {url}")

    return HTML(string=html, base_url=base_url, url_fetcher=StaticOnly()).write_pdf()
