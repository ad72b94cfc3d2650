"""Atom feeds (feedgen), blueprint "feeds".

/feeds/all.atom, /feeds/<kind path>.atom (e.g. /feeds/penalties.atom), both with an
optional ?region=<division code>, and /feeds/agencies/<USCC>.atom.  An entry's id is the
record's public URL, its ``updated`` the record's last change: a correction or a
withdrawal (entry titled as withdrawn, with the reason) updates the same entry.
"""

from __future__ import annotations

import datetime as dt

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db, limiter
from ..register import divisions, kinds
from ..register.kinds import RecordKind
from ..register.models import Agency, Bureau, Division
from ..register.urls import agency_url
from ..timeutil import today as today_cn

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
ENTRIES = 50
STOPPED = ("withdrawn", "repaired")

limiter.shared_limit(lambda: str(current_app.config["API_RATE_LIMIT"]), scope="open-data")(bp)


def _region_condition(kind: RecordKind, region: str):
    cond = divisions.area_condition(Agency.division_code, region)
    if cond is None or not kind.agency_optional:
        return cond
    return or_(cond, and_(kind.model.agency_id.is_(None),
                          divisions.area_condition(Bureau.code, region)))


def feed_records(kind: RecordKind, *, region: str = "", agency: Agency | None = None) -> list:
    """The latest changed records of ``kind``: public ones, and published ones since
    withdrawn or repaired (so a reader's entry is updated, not silently dropped)."""
    model = kind.model
    visible = or_(model.public_filter(),
                  and_(model.status.in_(STOPPED), model.published_on <= today_cn()))
    q = (select(model).outerjoin(Agency, Agency.id == model.agency_id).where(visible)
         .options(joinedload(model.agency)))
    if agency is not None:
        q = q.where(model.agency_id == agency.id)
    cond = _region_condition(kind, region) if region else None
    if cond is not None:
        if kind.agency_optional:
            q = q.outerjoin(Bureau, Bureau.id == model.bureau_id)
        q = q.where(cond)
    q = q.order_by(model.updated_at.desc(), model.id.desc()).limit(ENTRIES)
    return list(db.session.scalars(q))


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC)


def _changed(record) -> dt.datetime:
    return max(s for s in (record.updated_at, record.status_changed_at) if s is not None)


def build_feed(title: str, records: list, self_url: str, page_url: str) -> bytes:
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(title)
    fg.author({"name": _("蓝天代理机构监管公示平台")})
    fg.link(href=self_url, rel="self")
    fg.link(href=page_url, rel="alternate")
    fg.language("zh-CN")
    fg.rights(str(current_app.config["OPEN_DATA_LICENCE"]))
    records = sorted(records, key=_changed, reverse=True)[:ENTRIES]
    fg.updated(_utc(_changed(records[0])) if records else dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    for record in reversed(records):  # feedgen prepends: add oldest first
        _add_entry(fg, record)
    return fg.atom_str(pretty=True)


def _add_entry(fg: FeedGenerator, record) -> None:
    kind = kinds.of(record)
    name, texts = kind.display(record)
    url = kind.public_url(record, _external=True)
    entry = fg.add_entry()
    entry.id(url)
    entry.link(href=url)
    entry.updated(_utc(_changed(record)))
    entry.published(dt.datetime.combine(record.published_on, dt.time(), dt.UTC))
    entry.category(term=kind.key, label=str(kind.label))
    if record.status in STOPPED:
        entry.title(_("已停止公示：%(kind)s %(name)s", kind=kind.label, name=name))
        entry.summary(_("停止公示原因：%(reason)s", reason=record.status_reason or ""))
        return
    entry.title(f"{kind.label}：{name}")
    entry.summary(next((t for t in texts if t), name)[:500])


def atom(body: bytes) -> Response:
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


def _region_arg() -> tuple[str, str]:
    code = (request.args.get("region") or "").strip()
    if not code:
        return "", ""
    if not divisions.is_code(code) or db.session.get(Division, code) is None:
        abort(404)
    return code, divisions.path_name(code)


@bp.get("/all.atom")
def all_records():
    region, region_name = _region_arg()
    records = [r for kind in kinds.KINDS for r in feed_records(kind, region=region)]
    title = _("全部公示信息") + (f" — {region_name}" if region_name else "")
    return atom(build_feed(title, records, request.url,
                           url_for("register.home", _external=True)))


def kind_feed(kind: RecordKind):
    region, region_name = _region_arg()
    title = str(kind.label) + (f" — {region_name}" if region_name else "")
    page = url_for(kind.list_endpoint, _external=True, **({"region": region} if region else {}))
    return atom(build_feed(title, feed_records(kind, region=region), request.url, page))


for _kind in kinds.KINDS:
    bp.add_url_rule(f"/{_kind.url.path}.atom", _kind.key, lambda kind=_kind: kind_feed(kind))


@bp.get("/agencies/<uscc>.atom")
def agency(uscc: str):
    found = db.session.scalar(select(Agency).where(Agency.uscc == uscc.upper()))
    if found is None:
        abort(404)
    records = [r for kind in kinds.KINDS for r in feed_records(kind, agency=found)]
    return atom(build_feed(found.name, records, request.url, agency_url(found, _external=True)))


# issue 14 — typical cases: /feeds/cases.atom (entries built by portal.cases.feed)
@bp.get("/cases.atom")
def cases():
    from ..cases.feed import cases_feed

    return atom(cases_feed())
