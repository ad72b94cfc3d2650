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
What a record of each kind contributes (body, identifiers, facets, the title
and snippet texts of a hit) is its kind's declaration in
``portal.register.kinds``; this module assembles documents from it.
Engines turn the texts into terms with :func:`analyse`.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache, lru_cache, partial
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session, raiseload, selectinload

from portal.cases.markdown import plain_text  # issue 14 — typical cases
from portal.cases.models import TypicalCase  # issue 14 — typical cases
from portal.register import kinds as register
from portal.register import vocab
from portal.register.divisions import lineage
from portal.register.kinds import index_text
from portal.register.models import (  # issue 14 — Agent
    FORMER_NAME_ORDER,
    Agency,
    AgencyFormerName,
    Agent,
    Division,
)

from .names import identity_key, name_substrings, pinyin_terms
from .text import bigram_stream, canonical_identifier

KINDS: tuple[str, ...] = ("agency", *(kind.key for kind in register.KINDS))
MODEL_OF_KIND: dict[str, type[Any]] = {"agency": Agency,
                                  **{kind.key: kind.model for kind in register.KINDS}}
FOREVER = 99991231
# issue 14 — typical cases: articles about the register, searchable as kind "case".  Not
# register rows (KINDS is the register's own: agencies and the registry's record kinds).
CASE = "case"
INDEXED_KINDS: tuple[str, ...] = (*KINDS, CASE)
MODEL_OF_KIND[CASE] = TypicalCase
# issue 14 — patent agents: an agent is a document of its own (kind "agent"): its name,
# certificate number (an identifier: typed in full it opens the agent's page), agency and
# status.  Its ``agency_id`` is None, so the agent is its own result ("agent:<id>"), never
# folded into the agency's (an agency's group is "a<id>": see ``agency_of_group``).
AGENT = "agent"
INDEXED_KINDS += (AGENT,)
MODEL_OF_KIND[AGENT] = Agent


def agency_of_group(group: str) -> int | None:
    """The agency id of an agency's group ("a12"); None for a document's own group
    ("agent:5", "penalty:7" of an unregistered party, "case:3")."""
    return int(group[1:]) if group[:1] == "a" and group[1:].isdigit() else None


def make_key(kind: str, ident: int) -> str:
    return f"{kind}:{ident}"


def split_key(key: str) -> tuple[str, int]:
    kind, _, ident = key.partition(":")
    return kind, int(ident)


def key_of(obj) -> str:
    if isinstance(obj, TypicalCase):  # issue 14 — typical cases
        return make_key(CASE, obj.id)
    if isinstance(obj, Agent):  # issue 14 — patent agents
        return make_key(AGENT, obj.id)
    kind = "agency" if isinstance(obj, Agency) else register.of(obj).key
    return make_key(kind, obj.id)


def ymd(value: dt.date | None, default: int = 0) -> int:
    return value.year * 10000 + value.month * 100 + value.day if value else default


class RegionResolver:
    """Division code -> [province, city, district] codes (those that exist), cached per build."""

    def __init__(self, session: Session):
        self.session = session
        self._cache: dict[str, list[str]] = {}

    def preload(self) -> None:
        known = set(self.session.scalars(sa.select(Division.code)))
        for code in known:
            self._cache[code] = lineage(code, known)

    def __call__(self, code: str | None) -> list[str]:
        if not code:
            return []
        if code not in self._cache:
            known = set(self.session.scalars(
                sa.select(Division.code).where(Division.code.in_(lineage(code)))))
            self._cache[code] = lineage(code, known) if code in known else [code]
        return self._cache[code]


class AgencyPart(NamedTuple):
    name: str
    former: tuple[str, ...]
    division_code: str | None


class AgencyNames:
    """Agency id -> its name, former names and division, for the documents of its records
    and agents: read in batches of plain rows (no ORM objects) and remembered while
    documents are built, since an agency's name is on each of its ~7 documents."""

    LIMIT = 200_000  # agencies remembered at most (then forgotten and read again)

    def __init__(self, session: Session):
        self.session = session
        self._known: dict[int, AgencyPart | None] = {}

    def load(self, ids: Iterable[int | None]) -> None:
        """Read the agencies among ``ids`` not known yet (one query per 500)."""
        missing = sorted({i for i in ids if i is not None and i not in self._known})
        if len(self._known) + len(missing) > self.LIMIT:
            self._known.clear()
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            former: dict[int, list[str]] = {}
            for agency_id, name in self.session.execute(
                    sa.select(AgencyFormerName.agency_id, AgencyFormerName.name)
                    .where(AgencyFormerName.agency_id.in_(chunk))
                    .order_by(*FORMER_NAME_ORDER)):
                former.setdefault(agency_id, []).append(name)
            self._known.update(dict.fromkeys(chunk))  # an id with no row stays None
            for ident, name, division in self.session.execute(
                    sa.select(Agency.id, Agency.name, Agency.division_code)
                    .where(Agency.id.in_(chunk))):
                self._known[ident] = AgencyPart(name, tuple(former.get(ident, ())), division)

    def __getitem__(self, ident: int | None) -> AgencyPart | None:
        if ident is None:
            return None
        if ident not in self._known:
            self.load([ident])
        return self._known[ident]


def _finish(doc: dict) -> dict:
    # orjson: several times cheaper than json.dumps, which was a tenth of a rebuild's reading
    payload = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS, default=str)
    doc["stamp"] = hashlib.sha1(payload).hexdigest()[:16]
    return doc


def _agency_part(ident: int | None, agency: AgencyPart | None, regions) -> dict:
    if agency is None:
        return {"agency_id": None, "name": "", "former": [], "region": []}
    return {
        "agency_id": ident,
        "name": agency.name,
        "former": list(agency.former),
        "region": regions(agency.division_code),
    }


def agency_document(agency, regions: RegionResolver,
                    former: Sequence[str] | None = None) -> dict:
    """``agency`` is the ORM object, or a plain row of its table given its ``former`` names."""
    if former is None:
        former = [f.name for f in agency.former_names]
    names = AgencyPart(agency.name, tuple(former), agency.division_code)
    doc = _agency_part(agency.id, names, regions)
    doc.update(
        key=make_key("agency", agency.id),
        kind="agency",
        body=[
            agency.uscc,
            agency.licence_no or "",
            index_text(vocab.AGENCY_KINDS, agency.kind),
            index_text(vocab.AGENCY_STATUSES, agency.status),
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


def agency_row_document(row, regions: RegionResolver, agencies: AgencyNames) -> dict:
    """An agency's document from a plain row of its table, its former names from ``agencies``
    (read for a range of agencies at once)."""
    part = agencies[row.id]
    return agency_document(row, regions, part.former if part is not None else ())


def record_document(record, regions: RegionResolver, agencies: AgencyNames,
                    kind: register.RecordKind | None = None) -> dict | None:
    """The document of a public record, or None when the record is not to be indexed.

    ``record`` is the ORM object, or (given its ``kind``, whose agency is required) a
    plain row of its table."""
    if record.status != "published":
        return None
    kind = kind or register.of(record)
    text = kind.search_text(record)
    doc = _agency_part(record.agency_id, agencies[record.agency_id], regions)
    if record.agency_id is None:  # an unregistered party: its name, the publisher's region
        doc["name"] = kind.display(record)[0]
        doc["region"] = regions(record.bureau.code if record.bureau else None)
    doc.update(
        key=make_key(kind.key, record.id),
        kind=kind.key,
        body=[b for b in text.body if b],
        ids=[canonical_identifier(x) for x in text.ids],
        date=ymd(getattr(record, kind.date_field)),
        grade=text.grade,
        penalty_kinds=text.penalty_kinds,
        active=text.active,
        pub_from=ymd(record.published_on),
        pub_to=ymd(record.publication_ends_on, FOREVER),
    )
    return _finish(doc)


# issue 14 — typical cases: a published case is a document of its own (no agency); its
# region is its publisher's.
def case_document(case: TypicalCase, regions: RegionResolver) -> dict | None:
    if case.status != "published" or case.published_on is None:
        return None
    return _finish({
        "key": make_key(CASE, case.id), "kind": CASE, "agency_id": None,
        "name": case.title, "former": [], "region": regions(case.bureau.code),
        "body": [case.summary, plain_text(case.body), *case.tag_list],
        "ids": [], "date": ymd(case.published_on), "grade": None, "penalty_kinds": [],
        "active": None, "pub_from": ymd(case.published_on), "pub_to": FOREVER,
    })


# issue 14 — patent agents: an agent's document (public data only: name, certificate
# number, the current agency's name, status); its region is its agency's.
def agent_document(agent: Agent, regions: RegionResolver, agencies: AgencyNames) -> dict:
    agency = agencies[agent.agency_id]
    return _finish({
        "key": make_key(AGENT, agent.id), "kind": AGENT, "agency_id": None,
        "name": agent.name, "former": [],
        "region": regions(agency.division_code) if agency is not None else [],
        "body": [agent.certificate_no, agency.name if agency is not None else "",
                 index_text(vocab.AGENT_STATUSES, agent.status)],
        "ids": [canonical_identifier(agent.certificate_no)], "date": ymd(agent.certified_on),
        "grade": None, "penalty_kinds": [], "active": None, "pub_from": 0, "pub_to": FOREVER,
    })


def document_for(obj, regions: RegionResolver, agencies: AgencyNames) -> dict | None:
    if isinstance(obj, Agent):  # issue 14 — patent agents
        return agent_document(obj, regions, agencies)
    if isinstance(obj, Agency):
        return agency_document(obj, regions)
    if isinstance(obj, TypicalCase):  # issue 14 — typical cases
        return case_document(obj, regions)
    return record_document(obj, regions, agencies)


def documents_of(objs: Sequence, regions: RegionResolver, agencies: AgencyNames,
                 build: Callable = document_for) -> list[dict | None]:
    """``build`` (:func:`document_for`, or a kind's plain-row builder) each of ``objs``
    (their agencies read in one go)."""
    agencies.load(getattr(obj, "agency_id", None) for obj in objs)
    return [build(obj, regions, agencies) for obj in objs]


# -- what the results page shows (the same fields, original text) ---------------


def display_texts(obj) -> tuple[str, list[str]]:
    """(title, texts to take a highlighted snippet from) for a result row."""
    if isinstance(obj, Agency):
        former = "；".join(f.name for f in obj.former_names)
        texts = [obj.address or ""]
        if former:
            texts.insert(0, "曾用名：" + former)
        return obj.name, texts
    if isinstance(obj, TypicalCase):  # issue 14 — typical cases
        return obj.title, [obj.summary, plain_text(obj.body)]
    if isinstance(obj, Agent):  # issue 14 — patent agents: told apart by number and agency
        agency = obj.agency.name if obj.agency is not None else "—"
        return obj.name, [f"执业证号 {obj.certificate_no} · 执业机构 {agency}"]
    return register.of(obj).display(obj)


# -- loading -----------------------------------------------------------------------


def _options(kind: str, for_documents: bool = False):
    """Loader options for rows of ``kind``: what a result shows, or (``for_documents``)
    what its search document needs -- a record's or an agent's agency then comes from
    :class:`AgencyNames` and is never loaded row by row."""
    if kind == "agency":
        return [selectinload(Agency.former_names)]
    if kind == CASE:  # issue 14 — typical cases
        return [selectinload(TypicalCase.tags), selectinload(TypicalCase.bureau)]
    if kind == AGENT:  # issue 14 — patent agents
        return [raiseload(Agent.agency) if for_documents else selectinload(Agent.agency)]
    record_kind = register.get(kind)
    model = record_kind.model
    opts: list = [raiseload(model.agency) if for_documents
                  else selectinload(model.agency).selectinload(Agency.former_names)]
    if record_kind.agency_optional:  # the region of an unregistered party is its publisher's
        opts.append(selectinload(model.bureau))
    return opts


def load_documents(session: Session, keys: Iterable[str],
                   regions: RegionResolver | None = None) -> dict[str, dict | None]:
    """Documents for ``keys`` as the database has them now (None: not to be indexed)."""
    regions = regions or RegionResolver(session)
    agencies = AgencyNames(session)
    by_kind: dict[str, list[int]] = {}
    for key in keys:
        kind, ident = split_key(key)
        by_kind.setdefault(kind, []).append(ident)
    out: dict[str, dict | None] = {}
    for kind, ids in by_kind.items():
        model = MODEL_OF_KIND[kind]
        found: dict[int, dict | None] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            stmt = (sa.select(model).where(model.id.in_(chunk))
                    .options(*_options(kind, for_documents=True)))
            objs = session.scalars(stmt).all()
            found.update(zip((obj.id for obj in objs), documents_of(objs, regions, agencies),
                             strict=True))
        for ident in ids:
            out[make_key(kind, ident)] = found.get(ident)
    return out


def _indexed_rows(kind: str):
    """The rows of ``kind`` that may be documents (a record only once published)."""
    model = MODEL_OF_KIND[kind]
    stmt = sa.select(model)
    if kind not in ("agency", AGENT):  # issue 14: an agent's status is not a window
        stmt = stmt.where(model.status == "published")
    return stmt


def iter_documents(session: Session, chunk: int = 2000) -> Iterator[dict]:
    """Every document the database holds (for rebuild and check), in chunks."""
    regions = RegionResolver(session)
    regions.preload()
    agencies = AgencyNames(session)
    for where in document_ranges(session, chunk):
        yield from range_documents(session, where, regions, agencies)
        session.expunge_all()


DocumentRange = tuple[str, int, int]  # (kind, after this id, up to and including this id)


def document_ranges(session: Session, chunk: int) -> Iterator[DocumentRange]:
    """The rows :func:`iter_documents` reads, cut into ranges of ``chunk`` rows each, in
    the same order (so that separate processes can each read and analyse a range)."""
    for kind in INDEXED_KINDS:
        model = MODEL_OF_KIND[kind]
        last = 0
        while True:
            ids = session.scalars(_indexed_rows(kind).with_only_columns(model.id)
                                  .where(model.id > last).order_by(model.id).limit(chunk)).all()
            if not ids:
                break
            yield kind, last, ids[-1]
            last = ids[-1]


# Columns of who changed a row and when: no document holds them (a plain row leaves them
# out; parsing their timestamps was a fifth of reading a row).
_BOOKKEEPING_COLUMNS = frozenset({"created_at", "updated_at", "created_by_id", "updated_by_id",
                                  "status_changed_at", "status_changed_by_id", "status_reason"})


def _plain_row_document(kind: str) -> Callable | None:
    """For a kind whose document needs only its own columns (and its agency's names), the
    function that builds it from a plain row of its table; None for the others (a case
    with its tags, a record that may have no agency).  A rebuild reads those kinds as
    plain rows: most of its rows, and several times cheaper than ORM objects."""
    if kind == AGENT:
        return agent_document
    if kind == "agency":
        return agency_row_document
    if kind == CASE:
        return None
    record_kind = register.get(kind)
    return None if record_kind.agency_optional else partial(record_document, kind=record_kind)


@cache
def _plain_row_type(kind: str, columns: tuple[str, ...]) -> Any:
    """What a plain row of ``kind`` is read into: a named tuple of its ``columns``.  A
    document reads ~15 attributes of its row: on SQLAlchemy's ``Row`` each is a failed
    lookup and then a Python ``__getattr__``: a third to a half of building the document."""
    return collections.namedtuple(f"{kind}_row", columns)


def range_documents(session: Session, where: DocumentRange, regions: RegionResolver,
                    agencies: AgencyNames) -> list[dict]:
    """The documents of one range of :func:`document_ranges`, as the database has them now."""
    kind, after, last = where
    model = MODEL_OF_KIND[kind]
    stmt = _indexed_rows(kind).where(model.id > after, model.id <= last).order_by(model.id)
    build = _plain_row_document(kind)
    if build is not None:
        columns = [c for c in model.__table__.columns if c.key not in _BOOKKEEPING_COLUMNS]
        result = session.connection().execute(stmt.with_only_columns(*columns))
        rows = list(map(_plain_row_type(kind, tuple(result.keys()))._make, result))
        if kind == "agency":  # their names and former names, read in one go
            agencies.load(row.id for row in rows)
        documents = documents_of(rows, regions, agencies, build)
    else:
        objs = session.scalars(stmt.options(*_options(kind, for_documents=True))).all()
        documents = documents_of(objs, regions, agencies)
    return [doc for doc in documents if doc is not None]


def record_keys_of_agency(session: Session, agency_id: int) -> list[str]:
    keys = []
    for kind in register.KINDS:
        model = kind.model
        for ident in session.scalars(sa.select(model.id).where(model.agency_id == agency_id)):
            keys.append(make_key(kind.key, ident))
    # issue 14 — patent agents: an agent's document carries its agency's name and region
    for ident in session.scalars(sa.select(Agent.id).where(Agent.agency_id == agency_id)):
        keys.append(make_key(AGENT, ident))
    return keys


# -- documents as engines see them -------------------------------------------------


def analyse(doc: dict, seg) -> dict:
    """Index fields of a document: segmented words and bigram streams, normalized."""
    names = _name_fields(doc["name"], tuple(doc["former"]), doc["kind"] == "agency", seg)
    body_fields = _shared_body_fields if doc["kind"] in SHARED_BODY_KINDS else _body_fields
    body, body_bg = body_fields(tuple(doc["body"]), seg)
    return {
        "key": doc["key"],
        "kind": doc["kind"],
        "stamp": doc["stamp"],
        "name": names.name,
        "former": names.former,
        "body": body,
        "name_bg": names.name_bg,
        "body_bg": body_bg,
        "group": f"a{doc['agency_id']}" if doc["agency_id"] else doc["key"],
        "name_key": list(names.keys),
        "name_py": names.pinyin,
        "name_sub": list(names.substrings),
        "ids": doc["ids"],
        "region": doc["region"],
        "date": doc["date"],
        "grade": doc["grade"] or "",
        "penalty_kinds": doc["penalty_kinds"],
        "active": doc["active"] or "",
        "pub_from": doc["pub_from"],
        "pub_to": doc["pub_to"],
    }


def _body_fields(body: tuple[str, ...], seg) -> tuple[str, str]:
    """(words, bigram stream) of a document's body texts."""
    terms = [seg.terms(b) for b in body]
    return " ".join(seg.joined_words(terms)), bigram_stream(terms)


# Kinds whose records mostly have another record's body word for word (standard wording: a
# spot check's or credit grade's body recurs ~5 times at 100k agencies); the fields of their
# bodies are remembered.  Other kinds' bodies are their own (a penalty's facts, an agent's
# certificate number): remembering them cost more than it saved.
SHARED_BODY_KINDS = frozenset({register.SPOT_CHECK.key, register.CREDIT_GRADE.key})
_shared_body_fields = lru_cache(maxsize=16_384)(_body_fields)


class NameFields(NamedTuple):
    name: str
    former: str
    name_bg: str
    keys: tuple[str, ...]
    pinyin: str
    substrings: tuple[str, ...]


@lru_cache(maxsize=32_768)
def _name_fields(name: str, former: tuple[str, ...], is_agency: bool, seg) -> NameFields:
    """The index fields of an agency's names, the same on every one of its documents
    (worked out once per agency, not once per record: an agency has ~7 documents).

    Every document of an agency carries the identity keys of its names (the
    identity tier finds the agency under any filter); pinyin and the pieces
    for typo tolerance are the agency's own (one document per agency)."""
    name_terms = seg.terms(name)
    former_terms = [seg.terms(f) for f in former]
    keys = tuple(dict.fromkeys(k for k in map(identity_key, [name, *former]) if k))
    return NameFields(
        name=" ".join(seg.joined_words([name_terms])),
        former=" ".join(seg.joined_words(former_terms)) if former else "",
        name_bg=bigram_stream([name_terms, *former_terms]),
        keys=keys,
        pinyin=" ".join(pinyin_terms(list(keys))) if is_agency else "",
        substrings=tuple(p for k in keys for p in name_substrings(k)) if is_agency else (),
    )
