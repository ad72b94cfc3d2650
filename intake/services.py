"""Tip services: submit a tip, find a tip by tracking code, reporter replies, the outbox.

Services flush, never commit: the view commits once (files written here are removed
by intake.storage if that commit fails).
"""

from __future__ import annotations

import datetime as dt
import secrets
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import or_

from portal.extensions import db
from portal.register.models import Agency, AgencyFormerName, Division
from portal.timeutil import utcnow

from . import codes, routing, storage, workflow
from .models import OutboxMail, Tip
from .workflow import _

DUPLICATE_WINDOW_DAYS = 30


class SubmissionError(Exception):
    """Bad input: ``errors`` maps field names to Chinese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Receipt:
    tip: Tip
    code: str  # shown once, never stored


# -- agencies (the autocomplete and the no-JS resolution) -----------------------

def suggest_agencies(text: str, limit: int = 8) -> list[Agency]:
    """Agencies by name, former name or USCC prefix: engineer B's search.suggest_agencies
    when it exists, otherwise a plain database query."""
    text = (text or "").strip()
    if not text:
        return []
    try:
        from search import suggest_agencies as search_suggest
    except ImportError:
        search_suggest = None
    if search_suggest is not None:
        try:
            return list(search_suggest(text, limit))
        except Exception:  # the engine is optional: fall back to the database
            current_app.logger.exception("search.suggest_agencies failed")
    return _db_suggest(text, limit)


def _db_suggest(text: str, limit: int) -> list[Agency]:
    pattern = f"%{text}%"
    former = db.select(AgencyFormerName.agency_id).where(AgencyFormerName.name.like(pattern))
    query = (
        db.select(Agency)
        .where(or_(Agency.name.like(pattern), Agency.uscc.like(text.upper() + "%"),
                   Agency.id.in_(former)))
        .order_by(Agency.name)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def agency_label(agency: Agency) -> str:
    return f"{agency.name}（{agency.uscc}）"


def resolve_agency(text: str) -> Agency:
    """An agency from what the reporter typed: exact USCC, exact name or former name, or the
    autocomplete's "name（USCC）".  Raises SubmissionError when unknown or ambiguous."""
    text = (text or "").strip()
    if not text:
        raise SubmissionError({"agency": _("请填写被举报机构的名称或统一社会信用代码。")})
    candidate = text
    if text.endswith(("）", ")")) and ("（" in text or "(" in text):
        candidate = text.rstrip("）)").replace("(", "（").rsplit("（", 1)[-1].strip()
    agency = db.session.scalar(db.select(Agency).where(Agency.uscc == candidate.upper()))
    if agency is not None:
        return agency
    by_name = list(db.session.scalars(db.select(Agency).where(Agency.name == text)))
    if not by_name:
        former_ids = db.select(AgencyFormerName.agency_id).where(AgencyFormerName.name == text)
        by_name = list(db.session.scalars(db.select(Agency).where(Agency.id.in_(former_ids))))
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise SubmissionError({"agency": _(
            "有多家机构与“%(text)s”对应，请填写统一社会信用代码以确定是哪一家。", text=text)})
    raise SubmissionError({"agency": _(
        "未在名录中找到“%(text)s”。请核对名称或统一社会信用代码；如对方不是登记的代理机构，"
        "请选择“未登记的经营者”。", text=text)})


# -- submitting -------------------------------------------------------------------

def _likely_duplicate(agency: Agency | None, category: str) -> Tip | None:
    if agency is None:
        return None
    since = workflow._now() - dt.timedelta(days=DUPLICATE_WINDOW_DAYS)
    return db.session.scalar(
        db.select(Tip)
        .where(Tip.agency_id == agency.id, Tip.category == category, Tip.created_at >= since)
        .order_by(Tip.created_at)
        .limit(1)
    )


def _check_division(code: str | None, field: str) -> str | None:
    if not code:
        return None
    if db.session.get(Division, code) is None:
        raise SubmissionError({field: _("未知的行政区划代码。")})
    return code


def submit_tip(data: dict, files: list[storage.CheckedFile] | None = None, *,
               code: str | None = None) -> Receipt:
    """Store a tip with its files, routing decision and first events (flushes).

    ``data`` holds validated form values: category, agency (Agency or None),
    operator_name, operator_uscc, operator_contact, operator_division_code, division_code,
    online, online_url, occurred_on, description, anonymous, reporter_name,
    reporter_phone, reporter_email.  ``files`` were checked by storage.check_files.
    ``code``: only for demo data (a deterministic code); normally a fresh random one.
    """
    agency = data.get("agency")
    category = data["category"]
    division_code = _check_division(data.get("division_code"), "place")
    operator_division = _check_division(data.get("operator_division_code"),
                                        "operator_division_code")
    code = code or codes.new_code()
    anonymous = bool(data.get("anonymous", True))
    tip = Tip(
        # A unique placeholder: the reference is derived from the id after the flush.
        reference="PENDING-" + secrets.token_hex(6),
        tracking_hash=codes.hash_code(code),
        category=category,
        agency=agency,
        operator_name=None if agency else data.get("operator_name"),
        operator_uscc=None if agency else (data.get("operator_uscc") or None),
        operator_contact=None if agency else (data.get("operator_contact") or None),
        operator_division_code=None if agency else operator_division,
        division_code=division_code,
        online=bool(data.get("online")),
        online_url=data.get("online_url") or None,
        occurred_on=data.get("occurred_on"),
        description=data["description"],
        anonymous=anonymous,
        reporter_name=None if anonymous else (data.get("reporter_name") or None),
        reporter_phone=None if anonymous else (data.get("reporter_phone") or None),
        reporter_email=None if anonymous else (data.get("reporter_email") or None),
        consent_at=utcnow(),
    )
    tip.likely_duplicate_of = _likely_duplicate(agency, category)
    facts = routing.facts_for(
        category=category, agency=agency, online=tip.online,
        operator_division_code=tip.operator_division_code, division_code=division_code,
    )
    decision = routing.route(facts)
    db.session.add(tip)
    workflow.record_submission(tip, decision)  # flushes: tip.id known
    tip.reference = f"JB-{tip.created_at.year}-{tip.id:06d}"
    if files:
        first_event_id = tip.events[0].id
        for attachment in storage.store(files, db.session):
            attachment.event_id = first_event_id
            db.session.add(attachment)
            attachment.tip = tip
    if tip.reporter_email:
        queue_receipt_mail(tip, code)
    db.session.flush()
    return Receipt(tip, code)


def queue_receipt_mail(tip: Tip, code: str) -> OutboxMail:
    body = render_template("intake/email/receipt.txt", tip=tip, code=code)
    mail = OutboxMail(to=tip.reporter_email,
                      subject=_("举报回执 %(ref)s", ref=tip.reference), body=body)
    db.session.add(mail)
    return mail


# -- tracking ---------------------------------------------------------------------

def find_by_code(text: str | None) -> Tip | None:
    """The tip for a tracking code, or None.  Unknown, malformed and wrong codes take the
    same path: one indexed lookup of a hash and one constant-time comparison."""
    wanted = codes.lookup_hash(text)
    tip = db.session.scalar(db.select(Tip).where(Tip.tracking_hash == wanted))
    stored = tip.tracking_hash if tip is not None else None
    if codes.hashes_equal(stored, wanted) and tip is not None:
        return tip
    return None


def reply_as_reporter(tip: Tip, text: str, files: list[storage.CheckedFile]):
    """The reporter answers the bureau's question with text and files (flushes)."""
    attachments = storage.store(files, db.session) if files else []
    return workflow.reporter_reply(tip, text, attachments)


# -- the outbox -------------------------------------------------------------------

REDACTED_BODY = "[已发送；为保护查询码，正文已从发件箱清除]"


def send_outbox(limit: int = 100) -> tuple[int, int]:
    """Send unsent mail through SMTP (SMTP_HOST/SMTP_PORT); commit after each message.
    Failures keep the row with attempts/last_error.  Returns (sent, failed)."""
    host = current_app.config.get("SMTP_HOST")
    port = int(current_app.config.get("SMTP_PORT") or 25)
    sender = current_app.config.get("MAIL_SENDER")
    pending = list(db.session.scalars(
        db.select(OutboxMail).where(OutboxMail.sent_at.is_(None))
        .order_by(OutboxMail.id).limit(limit)
    ))
    sent = failed = 0
    for mail in pending:
        mail.attempts = (mail.attempts or 0) + 1
        try:
            if not host:
                raise RuntimeError("SMTP_HOST is not configured (PORTAL_SMTP_HOST)")
            message = EmailMessage()
            message["From"] = sender
            message["To"] = mail.to
            message["Subject"] = mail.subject
            message.set_content(mail.body)
            with smtplib.SMTP(host, port, timeout=30) as smtp:
                smtp.send_message(message)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            failed += 1
        else:
            mail.sent_at = utcnow()
            mail.last_error = None
            mail.body = REDACTED_BODY
            sent += 1
        db.session.commit()
    return sent, failed
