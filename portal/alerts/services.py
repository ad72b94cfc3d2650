"""Alert services: subscribe (double opt-in), confirm, unsubscribe, and ``send_alerts``.

How changes become mail — ``portal alerts send`` (run from cron or a timer, like
``portal mail send``) rather than an after-commit hook: a hook runs in the web process
after the commit, so a crash or an error between the commit and queuing the mail loses
the alert, and a retry cannot tell what was already queued.  The command instead reads
the register: every agency and record changed since its last run (minus an overlap,
ALERT_SCAN_OVERLAP_MINUTES, so a transaction that committed late with an earlier time
stamp is still read).  For each change and each matching subscription it writes an
``AlertDelivery`` under a unique (subscription, change) constraint, the outbox mail
that carries it, and its new position — all in one transaction.  A crash rolls all of
it back and the next run redoes it (nothing lost); the overlap is read again but the
unique deliveries are skipped (nothing sent twice).  ``portal mail send`` then drains
the outbox as for every other mail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, or_, select

from intake.models import OutboxMail

from ..errors import PortalError
from ..extensions import db
from ..register import divisions, kinds
from ..register.models import Agency, Division, SiteMeta
from ..timeutil import to_china, utcnow
from ..timeutil import today as today_cn
from .models import AlertDelivery, AlertSubscription

CONFIRM_MAX_AGE = 7 * 24 * 3600
STOPPED = ("withdrawn", "repaired")
WATERMARK_KEY = "alerts_scanned_to"


class SubscriptionError(PortalError):
    status = 422


class BadToken(PortalError):
    status = 404


# -- tokens -----------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"alerts-{purpose}")


def make_token(subscription: AlertSubscription, purpose: str) -> str:
    return _serializer(purpose).dumps(subscription.id)


def _load(token: str, purpose: str, max_age: int | None = None) -> AlertSubscription:
    try:
        ident = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise BadToken(_("确认链接已过期，请重新订阅。")) from exc
    except BadSignature as exc:
        raise BadToken(_("链接无效。")) from exc
    found = db.session.get(AlertSubscription, ident)
    if found is None:
        raise BadToken(_("链接无效。"))
    return found


# -- subscribing ------------------------------------------------------------------------


def _target(agency: Agency | None, region: str | None, kind: str | None) -> str:
    if agency is not None:
        return f"agency:{agency.id}"
    return f"region:{region}:{kind or '*'}"


def check_request(email: str, *, agency: Agency | None, region: str | None,
                  kind: str | None) -> str:
    """The normalised address; SubscriptionError (per-field messages) when anything is wrong."""
    errors = {}
    try:
        email = validate_email(email or "", check_deliverability=False).normalized
    except EmailNotValidError:
        errors["email"] = _("请填写有效的电子邮箱地址。")
    if agency is None:
        if not region or not divisions.is_code(region) or db.session.get(Division,
                                                                          region) is None:
            errors["region"] = _("请选择地区。")
        if kind and kind not in {k.key for k in kinds.KINDS}:
            errors["kind"] = _("未知的记录类型：%(kind)s", kind=kind)
    if errors:
        raise SubscriptionError(errors=errors)
    return email


def subscribe(email: str, *, agency: Agency | None = None, region: str | None = None,
              kind: str | None = None, digest: bool = False,
              locale: str = "zh_CN") -> AlertSubscription:
    """Record a subscription and queue its confirmation mail (flushes).

    The answer is the same whether the address was subscribed before or not (nobody
    learns who subscribes to what); a confirmed subscription just keeps going.
    """
    email = check_request(email, agency=agency, region=region, kind=kind)
    target = _target(agency, region, kind)
    sub = db.session.scalar(select(AlertSubscription).where(
        AlertSubscription.email == email, AlertSubscription.target == target))
    if sub is None:
        sub = AlertSubscription(email=email, target=target, agency=agency,
                                region_code=None if agency else region,
                                kind=None if agency else (kind or None))
        db.session.add(sub)
    elif sub.active:
        sub.digest = digest
        db.session.flush()
        return sub
    sub.digest, sub.locale = digest, locale
    sub.unsubscribed_at = sub.confirmed_at = None
    db.session.flush()
    _queue(sub, _("请确认订阅：%(what)s", what=describe(sub)), "alerts/email/confirm.txt",
           confirm_url=url_for("alerts.confirm", token=make_token(sub, "confirm"),
                               _external=True))
    return sub


def for_confirmation(token: str) -> AlertSubscription:
    return _load(token, "confirm", CONFIRM_MAX_AGE)


def confirm(token: str) -> AlertSubscription:
    sub = _load(token, "confirm", CONFIRM_MAX_AGE)
    if sub.unsubscribed_at is None and sub.confirmed_at is None:
        sub.confirmed_at = utcnow()
        db.session.flush()
    return sub


def subscription_for_unsubscribe(token: str) -> AlertSubscription:
    return _load(token, "unsubscribe")


def unsubscribe(token: str) -> AlertSubscription:
    sub = _load(token, "unsubscribe")
    if sub.unsubscribed_at is None:
        sub.unsubscribed_at = utcnow()
        db.session.flush()
    return sub


def describe(sub: AlertSubscription) -> str:
    """What a subscription is about, in the current language."""
    if sub.agency is not None:
        return _("代理机构 %(name)s", name=sub.agency.name)
    what = str(kinds.get(sub.kind).label) if sub.kind else _("全部公示信息")
    return _("%(region)s的%(what)s", region=divisions.path_name(sub.region_code), what=what)


def _queue(sub: AlertSubscription, subject: str, template: str, **context) -> OutboxMail:
    unsubscribe_url = url_for("alerts.unsubscribe", token=make_token(sub, "unsubscribe"),
                              _external=True)
    body = render_template(template, sub=sub, what=describe(sub),
                           unsubscribe_url=unsubscribe_url, **context)
    mail = OutboxMail(to=sub.email, subject=subject[:200], body=body, headers={
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    db.session.add(mail)
    return mail


# -- changes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    key: str  # unique per state of the object: "<kind>:<id>:<time stamp>"
    kind: str  # "agency" or a record kind
    obj: object
    at: dt.datetime
    agency_id: int | None
    division_code: str | None
    event: str  # new / corrected / withdrawn / repaired / agency


def _stamp(obj) -> dt.datetime:
    return max(s for s in (obj.updated_at, getattr(obj, "status_changed_at", None))
               if s is not None)


def _record_event(record, since: dt.datetime) -> str | None:
    if record.status in STOPPED:
        return record.status if (record.status_changed_at or since) >= since else None
    if not record.is_public():
        return None
    return "corrected" if record.updated_at - record.created_at > dt.timedelta(seconds=2) \
        else "new"


def record_changes(since: dt.datetime) -> Iterator[Change]:
    """Records changed, withdrawn or come into publication since ``since``."""
    for kind in kinds.KINDS:
        model = kind.model
        q = select(model).where(or_(
            model.updated_at >= since, model.status_changed_at >= since,
            and_(model.published_on >= since.date(), model.published_on <= today_cn())))
        for record in db.session.scalars(q.order_by(model.id)):
            event = _record_event(record, since)
            if event is None:
                continue
            stamp = _stamp(record)
            at = max(stamp, dt.datetime.combine(record.published_on, dt.time()))
            agency = record.agency
            division = agency.division_code if agency else (
                record.bureau.code if record.bureau else None)
            yield Change(f"{kind.key}:{record.id}:{stamp.isoformat()}", kind.key, record, at,
                         agency.id if agency else None, division, event)


def agency_changes(since: dt.datetime) -> Iterator[Change]:
    for agency in db.session.scalars(select(Agency).where(Agency.updated_at >= since)
                                     .order_by(Agency.id)):
        yield Change(f"agency:{agency.id}:{agency.updated_at.isoformat()}", "agency", agency,
                     agency.updated_at, agency.id, agency.division_code, "agency")


def _matches(sub: AlertSubscription, change: Change) -> bool:
    if sub.confirmed_at is None or change.at < sub.confirmed_at:
        return False
    if sub.agency_id is not None:
        return sub.agency_id == change.agency_id
    if change.kind == "agency" or (sub.kind and sub.kind != change.kind):
        return False
    return bool(change.division_code) and divisions.within(change.division_code,
                                                             sub.region_code or "")


# -- the run ------------------------------------------------------------------------------


@dataclass
class RunResult:
    changes: int = 0
    deliveries: int = 0
    mails: int = 0


def _watermark() -> dt.datetime | None:
    row = db.session.get(SiteMeta, WATERMARK_KEY)
    return dt.datetime.fromisoformat(row.value) if row else None


def _set_watermark(value: dt.datetime) -> None:
    row = db.session.get(SiteMeta, WATERMARK_KEY)
    if row is None:
        db.session.add(SiteMeta(key=WATERMARK_KEY, value=value.isoformat()))
    else:
        row.value = value.isoformat()


def send_alerts(now: dt.datetime | None = None) -> RunResult:
    """Turn the changes since the last run into deliveries and outbox mail (flushes; the
    caller commits once).  See the module docstring for why this never loses or repeats."""
    now = now or utcnow()
    overlap = dt.timedelta(minutes=int(current_app.config["ALERT_SCAN_OVERLAP_MINUTES"]))
    since = (_watermark() or now) - overlap
    subs = list(db.session.scalars(select(AlertSubscription).where(
        AlertSubscription.confirmed_at.is_not(None),
        AlertSubscription.unsubscribed_at.is_(None))))
    result = RunResult()
    fresh: dict[int, list[Change]] = defaultdict(list)
    if subs:
        changes = [*agency_changes(since), *record_changes(since)]
        result.changes = len(changes)
        known = _delivered({c.key for c in changes})
        for change in changes:
            for sub in subs:
                if _matches(sub, change) and (sub.id, change.key) not in known:
                    db.session.add(AlertDelivery(subscription_id=sub.id, change_key=change.key,
                                                 kind=change.kind, object_id=change.obj.id,
                                                 event=change.event))
                    fresh[sub.id].append(change)
                    result.deliveries += 1
        db.session.flush()  # the unique constraint: a concurrent run fails here, whole
    by_id = {sub.id: sub for sub in subs}
    for sub_id, changes in fresh.items():
        if not by_id[sub_id].digest:
            _mail_changes(by_id[sub_id], changes)
            result.mails += 1
    result.mails += _send_digests([s for s in subs if s.digest], now)
    _set_watermark(now)
    db.session.flush()
    return result


def _delivered(keys: set[str]) -> set[tuple[int, str]]:
    """(subscription id, change key) already delivered, for these change keys."""
    out: set[tuple[int, str]] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        out.update((sub_id, key) for sub_id, key in db.session.execute(
            select(AlertDelivery.subscription_id, AlertDelivery.change_key)
            .where(AlertDelivery.change_key.in_(ordered[start:start + 500]))).all())
    return out


def _mail_changes(sub: AlertSubscription, changes: list[Change]) -> OutboxMail:
    with force_locale(sub.locale):
        items = [_describe_change(c) for c in changes]
        mail = _queue(sub, _("蓝天平台提醒：%(what)s有 %(n)s 条更新", what=describe(sub),
                             n=len(items)), "alerts/email/alert.txt", items=items)
    db.session.flush()
    keys = [c.key for c in changes]
    for delivery in db.session.scalars(select(AlertDelivery).where(
            AlertDelivery.subscription_id == sub.id, AlertDelivery.change_key.in_(keys))):
        delivery.mail_id = mail.id
    return mail


def _send_digests(subs: list[AlertSubscription], now: dt.datetime) -> int:
    """Once a day (China's calendar day) per digest subscription: everything waiting, in
    one mail."""
    sent = 0
    day = to_china(now).date()
    for sub in subs:
        if sub.last_digest_at is not None and to_china(sub.last_digest_at).date() >= day:
            continue
        waiting = list(db.session.scalars(select(AlertDelivery).where(
            AlertDelivery.subscription_id == sub.id, AlertDelivery.mail_id.is_(None))
            .order_by(AlertDelivery.id)))
        if not waiting:
            continue
        changes = [c for c in (_change_of(d) for d in waiting) if c is not None]
        if changes:
            _mail_changes(sub, changes)
            sent += 1
        sub.last_digest_at = now
    return sent


def _change_of(delivery: AlertDelivery) -> Change | None:
    model = Agency if delivery.kind == "agency" else kinds.get(delivery.kind).model
    obj = db.session.get(model, delivery.object_id)
    if obj is None:
        return None
    return Change(delivery.change_key, delivery.kind, obj, _stamp(obj), None, None,
                  delivery.event)


def _describe_change(change: Change) -> dict:
    if change.kind == "agency":
        agency = change.obj
        return {"event": _("机构信息变更"), "title": agency.name,
                "detail": _("名称：%(name)s；状态：%(status)s", name=agency.name,
                            status=_agency_status(agency.status)),
                "url": url_for("register.agency", uscc=agency.uscc, _external=True)}
    kind = kinds.get(change.kind)
    title, texts = kind.display(change.obj)
    events = {"new": _("新公示"), "corrected": _("已更正"), "withdrawn": _("已撤回"),
              "repaired": _("已信用修复，停止公示")}
    return {"event": f"{kind.label} · {events[change.event]}", "title": title,
            "detail": next((t for t in texts if t), "")[:200],
            "url": kind.public_url(change.obj, _external=True)}


def _agency_status(status: str) -> str:
    from ..register import vocab

    return str(vocab.AGENCY_STATUSES.get(status, status))
