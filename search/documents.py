"""What is searchable: the ONE place that turns register rows into search documents.

A search document is a plain dict, the same for every engine:

=============  ===============================================================
key            ``"<kind>:<id>"`` (``agency:12``, ``penalty:7``) — unique
kind           agency / spot_check / penalty / credit_grade / list_entry
agency_id      the agency the document is about (None for an unregistered party)
name           the agency's current name (a penalty's party name if no agency)
former         the agency's former names (agencies rename to shed records)
body           every other searchable text, in reading order
ids            identifiers typed in full go straight to the page: USCC and
               licence number (agency), decision number (penalty)
region         division code with its parents (province, city, district)
date           the record's date (agency: date established), as yyyymmdd
grade          credit grade (credit_grade documents)
penalty_kinds  警告 / 罚款 / … (penalty documents)
active         "1" still listed / "0" removed (list_entry documents)
pub_from/to    publication window as yyyymmdd; the query filters on today,
               so a record whose window ends leaves the results that day
               without any reindexing
stamp          a hash of all the above, used by ``portal search check``
=============  ===============================================================

Only agencies and records whose status is "published" are documents; a
withdrawn or repaired record is deleted from the index when it changes.
Engines turn the texts into terms with :func:`analyse`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.register.models import (
    Agency,
    CreditGrade,
    Division,
    ListEntry,
    Penalty,
    SpotCheck,
)

from .text import bigram_stream, canonical_identifier, normalise

KINDS = ("agency", "spot_check", "penalty", "credit_grade", "list_entry")
RECORD_CLASSES = {"spot_check": SpotCheck, "penalty": Penalty, "credit_grade": CreditGrade,
                  "list_entry": ListEntry}
MODEL_OF_KIND = {"agency": Agency, **RECORD_CLASSES}
FOREVER = 99991231

# Chinese labels written into the index (never translated: the index is Chinese).
AGENCY_KIND_TEXT = {"patent": "专利代理", "trademark": "商标代理", "both": "专利和商标代理"}
AGENCY_STATUS_TEXT = {"practising": "执业", "suspended": "停止承接新业务", "deregistered": "注销",
                      "revoked": "吊销"}
LIST_KIND_TEXT = {"abnormal": "经营异常名录", "serious": "严重违法失信名单"}


def make_key(kind: str, ident: int) -> str:
    return f"{kind}:{ident}"


def split_key(key: str) -> tuple[str, int]:
    kind, _, ident = key.partition(":")
    return kind, int(ident)


def key_of(obj) -> str:
    kind = "agency" if isinstance(obj, Agency) else obj.KIND
    return make_key(kind, obj.id)


def ymd(value: dt.date | None, default: int = 0) -> int:
    return value.year * 10000 + value.month * 100 + value.day if value else default


class RegionResolver:
    """Division code -> [province, city, district] codes, cached per build."""

    def __init__(self, session: Session):
        self.session = session
        self._cache: dict[str, list[str]] = {}

    def preload(self) -> None:
        for div in self.session.scalars(sa.select(Division)):
            self._cache[div.code] = div.ancestors_and_self()

    def __call__(self, code: str | None) -> list[str]:
        if not code:
            return []
        if code not in self._cache:
            div = self.session.get(Division, code)
            self._cache[code] = div.ancestors_and_self() if div else [code]
        return self._cache[code]


def _finish(doc: dict) -> dict:
    payload = json.dumps(doc, ensure_ascii=False, sort_keys=True, default=str)
    doc["stamp"] = hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]
    return doc


def _agency_part(agency: Agency | None, regions: RegionResolver) -> dict:
    if agency is None:
        return {"agency_id": None, "name": "", "former": [], "region": []}
    return {
        "agency_id": agency.id,
        "name": agency.name,
        "former": [f.name for f in agency.former_names],
        "region": regions(agency.division_code),
    }


def agency_document(agency: Agency, regions: RegionResolver) -> dict:
    doc = _agency_part(agency, regions)
    doc.update(
        key=make_key("agency", agency.id),
        kind="agency",
        body=[
            agency.uscc,
            agency.licence_no or "",
            AGENCY_KIND_TEXT.get(agency.kind, agency.kind),
            AGENCY_STATUS_TEXT.get(agency.status, agency.status),
            agency.address or "",
            agency.legal_rep or "",
            agency.branches or "",
        ],
        ids=[canonical_identifier(x) for x in (agency.uscc, agency.licence_no) if x],
        date=ymd(agency.established_on),
        grade=None,
        penalty_kinds=[],
        active=None,
        pub_from=0,
        pub_to=FOREVER,
    )
    return _finish(doc)


def record_document(record, regions: RegionResolver) -> dict | None:
    """The document of a public record, or None when the record is not to be indexed."""
    if record.status != "published":
        return None
    doc = _agency_part(record.agency, regions)
    ids: list[str] = []
    grade = None
    penalty_kinds: list[str] = []
    active = None
    if isinstance(record, SpotCheck):
        body = [record.task_number, record.task_name, record.check_type, record.result,
                record.remarks or "", record.authority]
    elif isinstance(record, Penalty):
        if record.agency is None:
            doc["name"] = record.party_name
            doc["region"] = regions(record.bureau.code if record.bureau else None)
            if record.party_uscc:
                ids.append(canonical_identifier(record.party_uscc))
        ids.append(canonical_identifier(record.decision_number))
        penalty_kinds = record.penalty_kind_list
        body = [record.decision_number, record.party_name, record.violation_type,
                record.penalty_kinds, record.facts, record.legal_basis, record.authority,
                record.full_text or ""]
    elif isinstance(record, CreditGrade):
        grade = record.grade
        body = [f"{record.period}年度 专利代理信用评价", f"信用等级 {record.grade}",
                f"得分 {record.score}" if record.score is not None else "", record.authority]
    elif isinstance(record, ListEntry):
        active = "1" if record.removed_on is None else "0"
        body = [LIST_KIND_TEXT.get(record.list_kind, record.list_kind), record.inclusion_reason,
                record.inclusion_authority, record.inclusion_decision_number or "",
                record.removal_reason or "", record.removal_authority or ""]
    else:  # pragma: no cover - a new record kind must be added here
        raise TypeError(f"not searchable: {record!r}")
    doc.update(
        key=make_key(record.KIND, record.id),
        kind=record.KIND,
        body=[b for b in body if b],
        ids=ids,
        date=ymd(record.record_date),
        grade=grade,
        penalty_kinds=penalty_kinds,
        active=active,
        pub_from=ymd(record.published_on),
        pub_to=ymd(record.publication_ends_on, FOREVER),
    )
    return _finish(doc)


def document_for(obj, regions: RegionResolver) -> dict | None:
    if isinstance(obj, Agency):
        return agency_document(obj, regions)
    return record_document(obj, regions)


# -- what the results page shows (the same fields, original text) ---------------


def display_texts(obj) -> tuple[str, list[str]]:
    """(title, texts to take a highlighted snippet from) for a result row."""
    if isinstance(obj, Agency):
        former = "；".join(f.name for f in obj.former_names)
        texts = [obj.address or ""]
        if former:
            texts.insert(0, "曾用名：" + former)
        return obj.name, texts
    if isinstance(obj, Penalty):
        return obj.party_name, [obj.facts, obj.full_text or "", obj.violation_type,
                                obj.decision_number]
    if isinstance(obj, SpotCheck):
        return obj.agency.name, [f"{obj.task_name}：{obj.result}", obj.remarks or ""]
    if isinstance(obj, CreditGrade):
        return obj.agency.name, [f"{obj.period}年度信用等级 {obj.grade}"]
    if isinstance(obj, ListEntry):
        return obj.agency.name, [f"{LIST_KIND_TEXT.get(obj.list_kind, '')}：{obj.inclusion_reason}"]
    return str(obj), []


# -- loading -----------------------------------------------------------------------


def _options(kind: str):
    if kind == "agency":
        return [selectinload(Agency.former_names)]
    model = RECORD_CLASSES[kind]
    opts = [selectinload(model.agency).selectinload(Agency.former_names)]
    if model is Penalty:
        opts.append(selectinload(Penalty.bureau))
    return opts


def load_documents(session: Session, keys: Iterable[str],
                   regions: RegionResolver | None = None) -> dict[str, dict | None]:
    """Documents for ``keys`` as the database has them now (None: not to be indexed)."""
    regions = regions or RegionResolver(session)
    by_kind: dict[str, list[int]] = {}
    for key in keys:
        kind, ident = split_key(key)
        by_kind.setdefault(kind, []).append(ident)
    out: dict[str, dict | None] = {}
    for kind, ids in by_kind.items():
        model = MODEL_OF_KIND[kind]
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            stmt = sa.select(model).where(model.id.in_(chunk)).options(*_options(kind))
            for obj in session.scalars(stmt):
                found[obj.id] = document_for(obj, regions)
        for ident in ids:
            out[make_key(kind, ident)] = found.get(ident)
    return out


def iter_documents(session: Session, chunk: int = 2000) -> Iterator[dict]:
    """Every document the database holds (for rebuild and check), in chunks."""
    regions = RegionResolver(session)
    regions.preload()
    for kind in KINDS:
        model = MODEL_OF_KIND[kind]
        last = 0
        while True:
            stmt = sa.select(model).where(model.id > last).order_by(model.id).limit(chunk)
            if kind != "agency":
                stmt = stmt.where(model.status == "published")
            rows = session.scalars(stmt.options(*_options(kind))).all()
            if not rows:
                break
            for obj in rows:
                doc = document_for(obj, regions)
                if doc is not None:
                    yield doc
            last = rows[-1].id
            session.expunge_all()


def record_keys_of_agency(session: Session, agency_id: int) -> list[str]:
    keys = []
    for kind, model in RECORD_CLASSES.items():
        for ident in session.scalars(sa.select(model.id).where(model.agency_id == agency_id)):
            keys.append(make_key(kind, ident))
    return keys


# -- documents as engines see them -------------------------------------------------


def analyse(doc: dict, seg) -> dict:
    """Index fields of a document: segmented words and bigram streams, normalised."""
    name = normalise(doc["name"])
    former = [normalise(f) for f in doc["former"]]
    body = [normalise(b) for b in doc["body"]]
    # An exact name ranks the agency (or an unregistered party's penalty) itself
    # first, ahead of the records that carry the agency's name.
    own = doc["kind"] == "agency" or doc["agency_id"] is None
    return {
        "key": doc["key"],
        "kind": doc["kind"],
        "stamp": doc["stamp"],
        "name": " ".join(seg.words(name)),
        "former": " ".join(seg.words("\n".join(former))) if former else "",
        "body": " ".join(seg.words("\n".join(body))),
        "name_bg": bigram_stream([name, *former]),
        "body_bg": bigram_stream(body),
        "name_exact": " ".join(name.split()) if own else "",
        "former_exact": [" ".join(f.split()) for f in former] if own else [],
        "ids": doc["ids"],
        "region": doc["region"],
        "date": doc["date"],
        "grade": doc["grade"] or "",
        "penalty_kinds": doc["penalty_kinds"],
        "active": doc["active"] or "",
        "pub_from": doc["pub_from"],
        "pub_to": doc["pub_to"],
    }
