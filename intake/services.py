"""Tip services: submit a tip, find a tip by tracking code, reporter replies, the outbox.

Services flush, never commit: the view commits once (files written here are removed
by intake.storage if that commit fails).  ``submit_tip`` takes values already checked
by ``intake.forms.TipForm`` (the one place for the tip form's checks); it decides only
what is stored (an anonymous tip keeps no identity, a registered agency no operator
fields).
"""

from __future__ import annotations

import datetime as dt
import secrets
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from sqlalchemy import or_

from portal.errors import PortalError
from portal.extensions import db
from portal.register.models import Agency, AgencyFormerName
from portal.timeutil import utcnow
from search import suggest_agencies as search_suggest

from . import (
    codes,
    matching,
    messages,
    notifications,
    queries,
    receipts,
    routing,
    storage,
    workflow,
)
from .models import OutboxMail, Tip
from .workflow import _


class SubmissionError(PortalError):
    """Bad input: ``errors`` maps field names to Chinese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors=errors)


@dataclass
class Receipt:
    tip: Tip
    code: str  # shown once, never stored


# -- agencies (the autocomplete and the no-JS resolution) -----------------------

def suggest_agencies(text: str, limit: int = 8) -> list[Agency]:
    """Agencies by name, former name or USCC prefix (search.suggest_agencies; a plain
    database query when the search engine fails)."""
    text = (text or "").strip()
    if not text:
        return []
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

def _party(data: dict) -> dict:
    """The reported party: a registered agency, or an unregistered operator's details."""
    if data.get("agency"):
        return {"agency": data["agency"]}
    return {
        "agency": None,
        "operator_name": data.get("operator_name"),
        "operator_uscc": data.get("operator_uscc") or None,
        "operator_contact": data.get("operator_contact") or None,
        "operator_division_code": data.get("operator_division_code") or None,
        **matching.keys(operator_name_text=data.get("operator_name"),
                        operator_contact=data.get("operator_contact"),
                        online_url=data.get("online_url")),
    }


def _reporter(data: dict) -> dict:
    """The reporter's identity: none at all for an anonymous tip."""
    if data.get("anonymous", True):
        return {"anonymous": True}
    return {
        "anonymous": False,
        "reporter_name": data.get("reporter_name") or None,
        "reporter_phone": data.get("reporter_phone") or None,
        "reporter_email": data.get("reporter_email") or None,
    }


def submit_tip(data: dict, files: list[storage.CheckedFile] | None = None, *,
               code: str | None = None, submission_key: str | None = None) -> Receipt:
    """Store a tip with its files, routing decision and first events (flushes).

    ``data`` holds checked form values (``TipForm.tip_data``): category, agency (Agency
    or None), operator_name, operator_uscc, operator_contact, operator_division_code,
    division_code, online, online_url, occurred_on, description, anonymous,
    reporter_name, reporter_phone, reporter_email.  ``files`` were checked by
    storage.check_files.  ``code``: only for demo data (a deterministic code); normally a
    fresh random one.  ``submission_key`` (the rendered form's, intake.receipts) is stored
    hashed under a unique constraint before any file is written: a second submission with
    the same key raises IntegrityError at that flush (or at commit) and stores nothing.
    """
    agency = data.get("agency")
    category = data["category"]
    division_code = data.get("division_code") or None
    code = code or codes.new_code()
    tip = Tip(
        # A unique placeholder: the reference is derived from the id after the flush.
        reference="PENDING-" + secrets.token_hex(6),
        tracking_hash=codes.hash_code(code),
        category=category,
        division_code=division_code,
        online=bool(data.get("online")),
        online_url=data.get("online_url") or None,
        occurred_on=data.get("occurred_on"),
        description=data["description"],
        consent_at=utcnow(),
        **_party(data),
        **_reporter(data),
    )
    tip.likely_duplicate_of = queries.likely_duplicate_of(tip, workflow.now())
    facts = routing.facts_for(
        category=category, agency=agency, online=tip.online,
        operator_division_code=tip.operator_division_code, division_code=division_code,
    )
    decision = routing.route(facts)
    db.session.add(tip)
    workflow.record_submission(tip, decision)  # flushes: tip.id known
    tip.reference = f"JB-{tip.created_at.year}-{tip.id:06d}"
    if submission_key:
        receipts.record(tip, submission_key, code, tip.created_at)
        db.session.flush()  # the unique key: a repeated submission stops here, before files
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
    """Queue the receipt mail.  The stored body carries no code; the code is kept sealed
    (intake.receipts) and put into the body when the mail is sent."""
    mail = OutboxMail(to=tip.reporter_email, tip=tip, kind="receipt",
                      locale=str(get_locale() or "zh_CN"),
                      subject=_("举报回执 %(ref)s", ref=tip.reference),
                      body=render_template("intake/email/receipt.txt", tip=tip, code=None),
                      sealed_code=receipts.seal_for_outbox(code))
    db.session.add(mail)
    return mail


def mail_body(mail: OutboxMail) -> str:
    """The body to send: a receipt mail is built now, with its code if it can be opened."""
    if mail.tip is None or mail.kind == notifications.KIND:
        return mail.body
    code = receipts.unseal_from_outbox(mail.sealed_code)
    with force_locale(mail.locale or "zh_CN"):
        return render_template("intake/email/receipt.txt", tip=mail.tip, code=code)


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
    """The reporter writes (an answer to the bureau's question, or unasked) with text and
    files while the tip is open (intake.messages; flushes)."""
    if not messages.is_open(tip):  # before any file is written
        raise workflow.TransitionError(_("举报已办结，不能再补充材料。"))
    attachments = storage.store(files, db.session) if files else []
    return messages.reporter_message(tip, text, attachments)


# -- the outbox -------------------------------------------------------------------

REDACTED_BODY = "[已发送；为保护查询码，正文已从发件箱清除]"


RETRY_FIRST = dt.timedelta(minutes=5)


class NoRecipient(Exception):
    """The mail has nobody to go to any more (notifications off, address removed, purged)."""


def _failed(mail: OutboxMail, exc: Exception, now: dt.datetime) -> None:
    """Record a failure: retry later (5 minutes, doubling), or set the mail aside as dead
    after MAIL_MAX_ATTEMPTS (or at once when it has no recipient any more)."""
    mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if isinstance(exc, NoRecipient) or mail.attempts >= int(
            current_app.config["MAIL_MAX_ATTEMPTS"]):
        mail.dead_at = now
        mail.next_attempt_at = None
        mail.sealed_code = None
    else:
        mail.next_attempt_at = now + RETRY_FIRST * 2 ** (mail.attempts - 1)


def send_outbox(limit: int = 100) -> tuple[int, int]:
    """Send due mail through SMTP (SMTP_HOST/SMTP_PORT); commit after each message.
    Failures keep the row with attempts/last_error and a later ``next_attempt_at``; after
    MAIL_MAX_ATTEMPTS the row is dead (kept, never retried).  Returns (sent, failed)."""
    host = current_app.config.get("SMTP_HOST")
    port = int(current_app.config["SMTP_PORT"])
    sender = current_app.config.get("MAIL_SENDER")
    now = utcnow()
    pending = list(db.session.scalars(
        db.select(OutboxMail).where(
            OutboxMail.sent_at.is_(None), OutboxMail.dead_at.is_(None),
            or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now))
        .order_by(OutboxMail.id).limit(limit)
    ))
    sent = failed = 0
    for mail in pending:
        to = notifications.recipient(mail)
        if not to:  # nobody to tell any more: set aside, not a failure
            _failed(mail, NoRecipient("no recipient (notifications off, address removed "
                                      "or purged)"), now)
            db.session.commit()
            continue
        mail.attempts = (mail.attempts or 0) + 1
        try:
            if not host:
                raise RuntimeError("SMTP_HOST is not configured (PORTAL_SMTP_HOST)")
            message = EmailMessage()
            message["From"] = sender
            message["To"] = to
            message["Subject"] = mail.subject
            message.set_content(mail_body(mail))
            for name, value in (mail.headers or {}).items():
                message[name] = value
            with smtplib.SMTP(host, port, timeout=30) as smtp:
                smtp.send_message(message)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
            _failed(mail, exc, now)
            failed += 1
        else:
            mail.sent_at = utcnow()
            mail.last_error = None
            mail.next_attempt_at = None
            mail.body = REDACTED_BODY
            mail.sealed_code = None
            if mail.tip_id is not None:
                mail.to = ""  # a reporter's address is not kept in the outbox once sent
            sent += 1
        db.session.commit()
    return sent, failed
