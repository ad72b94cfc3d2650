"""The register's writes: agencies (create / update by USCC) and public records (publish,
correct, withdraw, repair, remove a list entry).

Every change goes through here (forms, the importer, tests).  What a kind asks for and
how it is validated is the kind's declaration (``kinds``); field parsing is
``cleaning``; the publication window is ``publication``.  Services validate, write,
record who and when, and ``flush()``; the caller commits.  The read side (queries,
public pages, search) never imports this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from flask import has_request_context

from ..extensions import db
from ..timeutil import today as today_cn
from ..timeutil import utcnow
from . import derived, kinds, vocab
from .cleaning import AgencyLookup, ValidationError, _, parse_date
from .kinds import AGENCY, RecordKind
from .models import Agency, AgencyFormerName, ListEntry, Penalty, RegisterEvent, note_written
from .publication import NOT_REPAIRABLE_KINDS, repair_allowed_from

# ---------------------------------------------------------------------------
# History: every change appends a RegisterEvent (who, when, through what)
# ---------------------------------------------------------------------------

_CHANNEL: ContextVar[tuple[str, str | None] | None] = ContextVar("register_channel", default=None)


@contextlib.contextmanager
def changes_via(via: str, source: str | None = None) -> Iterator[None]:
    """Record the changes made inside the block as made through ``via`` (import, form,
    cli, system), with ``source`` (an import file's name)."""
    token = _CHANNEL.set((via, source))
    try:
        yield
    finally:
        _CHANNEL.reset(token)


def _channel() -> tuple[str, str | None]:
    return _CHANNEL.get() or ("form" if has_request_context() else "cli", None)


def _history_value(value: Any) -> Any:
    if isinstance(value, Agency):
        return value.uscc
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value)
    return value


def record_event(subject: str, subject_id: int, action: str, *, actor: Any = None,
                 changes: Mapping[str, tuple[Any, Any]] | None = None,
                 reason: str | None = None) -> RegisterEvent:
    """Append one entry to the history of an agency ("agency") or a record (its kind)."""
    via, source = _channel()
    event = RegisterEvent(
        subject=subject, subject_id=subject_id, action=action, reason=reason,
        actor_id=_actor_id(actor), via=via, source=source,
        changes={f: [_history_value(old), _history_value(new)]
                 for f, (old, new) in changes.items()} if changes else None)
    db.session.add(event)
    return event


def _snapshot(obj: Any, fields: Collection[str]) -> dict[str, Any]:
    return {f: _history_value(getattr(obj, f, None)) for f in fields}


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {f: (before[f], after[f]) for f in before if before[f] != after.get(f)}


# ---------------------------------------------------------------------------
# Agencies
# ---------------------------------------------------------------------------

# Fields written as they are (the bureau and the former names have rules of their own).
AGENCY_FIELDS = ("name", "licence_no", "kind", "status", "address", "division_code", "legal_rep",
                 "agent_count", "established_on", "branches")


def clean_agency(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate agency input; returns cleaned values or raises ValidationError."""
    return AGENCY.clean(data)


def upsert_agency(data: Mapping[str, Any], actor: Any = None) -> Agency:
    """Create or update the agency keyed by USCC.  A renamed agency keeps its old name."""
    return save_agency(clean_agency(data), actor=actor)


def licence_holder(licence_no: str, uscc: str) -> Agency | None:
    """Another agency that already holds licence number ``licence_no``."""
    return db.session.scalar(db.select(Agency).where(
        Agency.licence_no == licence_no, Agency.uscc != uscc))


def save_agency(values: Mapping[str, Any], *, actor: Any = None,
                fields: Collection[str] | None = None) -> Agency:
    """Write cleaned agency values (from ``clean_agency``); ``fields`` limits what is updated."""
    agency = db.session.scalar(db.select(Agency).where(Agency.uscc == values["uscc"]))
    tracked = (*AGENCY_FIELDS, "bureau_id")
    before = _snapshot(agency, tracked) if agency is not None else None
    if values.get("licence_no"):
        clash = licence_holder(values["licence_no"], values["uscc"])
        if clash is not None:
            raise ValidationError({"licence_no": _("执业许可证号 %(no)s 已属于 %(name)s",
                                                   no=values["licence_no"], name=clash.name)})
    if agency is None:
        agency = Agency(uscc=values["uscc"])
        db.session.add(agency)
        fields = None
    elif agency.name != values["name"]:
        _add_former_name(agency, agency.name, today_cn())
    for field in AGENCY_FIELDS:
        if fields is None or field in fields or field == "name":
            setattr(agency, field, values[field])
    if fields is None or "bureau_code" in fields or "division_code" in fields \
            or agency.bureau_id is None:
        agency.bureau = values["bureau"]
    for name in values["former_names"]:
        if name != agency.name:
            _add_former_name(agency, name, None)
    db.session.flush()
    if before is None:
        record_event("agency", agency.id, "registered", actor=actor)
    elif changed := _diff(before, _snapshot(agency, tracked)):
        record_event("agency", agency.id, "changed", actor=actor, changes=changed)
    return agency


# Kinds whose records an agency's stored derived values (``derived``) come from.
DERIVING_KINDS = frozenset({"credit_grade", "list_entry"})


def _refresh_agencies(kind: str, agency_ids: Collection[int | None]) -> None:
    """Store the derived values of the agencies whose records of ``kind`` changed."""
    if kind in DERIVING_KINDS:
        db.session.flush()
        derived.refresh_derived(i for i in agency_ids if i is not None)


def _add_former_name(agency: Agency, name: str, until: dt.date | None) -> None:
    if any(f.name == name for f in agency.former_names):
        return
    agency.former_names.append(AgencyFormerName(name=name, until=until))


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------

# Columns of a record that are not its editable fields.
_BOOKKEEPING = frozenset({"id", "status", "status_reason", "status_changed_at", "created_at",
                          "updated_at", "bureau_id", "created_by_id", "updated_by_id",
                          "status_changed_by_id", "agency_id"})


# Input fields that are not written as they are: the agency's USCC names the agency, the
# window end follows the rule, the status changes only through withdraw / repair.
_NOT_WRITTEN = frozenset({"agency_uscc", "publication_ends_on", "status", "status_reason",
                          "status_changed_at"})


def _tracked(record: Any) -> list[str]:
    """The fields of a record whose changes its history shows."""
    return [c.key for c in type(record).__table__.columns
            if c.key not in _BOOKKEEPING and c.key != "decision_key"] + ["agency"]


def clean_record(kind: str, data: Mapping[str, Any], *, bureau: Any = None,
                 agency_lookup: AgencyLookup | None = None) -> dict[str, Any]:
    """Validate the fields of one record of ``kind``; raises ValidationError."""
    return kinds.get(kind).clean(data, bureau=bureau, agency_lookup=agency_lookup)


def record_values(record: Any) -> dict[str, Any]:
    """The editable fields of a record as a dict (the inverse of clean_record)."""
    values = {col.key: getattr(record, col.key) for col in type(record).__table__.columns
              if col.key not in _BOOKKEEPING}
    if getattr(record, "agency", None) is not None:
        values["agency"] = record.agency
    return values


def write_fields(record: Any, values: Mapping[str, Any],
                 fields: Collection[str] | None = None) -> None:
    """Set a record's cleaned ``values`` (only ``fields`` when given), then the end of its
    publication window: as given, else the kind's rule from the record's values."""
    kind = kinds.of(record)
    for field, value in values.items():
        if field in _NOT_WRITTEN:
            continue
        if fields is None or field in fields:
            setattr(record, field, value)
    if fields is None or "publication_ends_on" in fields or kind.publication_end is not None:
        given = values.get("publication_ends_on")
        record.publication_ends_on = kind.window_end(
            dict(record_values(record), publication_ends_on=given))


def check_unique(kind: RecordKind, values: Mapping[str, Any], existing_id: int | None = None):
    """ValidationError when another record of ``kind`` has the same natural key."""
    found = kind.find_existing(values)
    key = kind.natural_key
    if found is not None and found.id != existing_id and key.conflict is not None:
        raise ValidationError({key.error_field: key.conflict(values)})


def publish_record(kind: str, data: Mapping[str, Any], *, actor: Any = None,
                   bureau: Any = None) -> Any:
    """Validate and publish one record of ``kind``; returns the new record (flushed)."""
    record_kind = kinds.get(kind)
    values = record_kind.clean(data, bureau=bureau)
    check_unique(record_kind, values)
    return create_record(kind, values, actor=actor, bureau=bureau)


def create_record(kind: str, values: Mapping[str, Any], *, actor: Any = None,
                  bureau: Any = None) -> Any:
    """Insert a record from cleaned values (``clean_record``); flushes."""
    record_id = create_records(kind, [(values, bureau)], actor=actor)[0]
    return db.session.get(kinds.get(kind).model, record_id)


def create_records(kind: str, items: Collection[tuple[Mapping[str, Any], Any]], *,
                   actor: Any = None) -> list[int]:
    """Insert records from (cleaned values, bureau) pairs; returns their ids (in no
    particular order: find a record by its natural key).

    One multi-row INSERT for the records and one for their history entries (an import
    of 50,000 rows cannot afford the unit of work's per-row bookkeeping)."""
    record_kind = kinds.get(kind)
    model = record_kind.model
    keys = [c.key for c in model.__table__.columns if c.key != "id"]
    now = utcnow()
    blank = dict.fromkeys(keys)
    blank.update(status="published", is_demo=False, created_at=now, updated_at=now,
                 created_by_id=_actor_id(actor), updated_by_id=_actor_id(actor))
    rows = []
    for values, bureau in items:
        row = dict(blank)
        row.update((k, v) for k, v in values.items() if k in blank and k not in _NOT_WRITTEN)
        agency = values.get("agency")
        row["agency_id"] = agency.id if agency is not None else None
        row["bureau_id"] = bureau.id if bureau is not None else None
        row["publication_ends_on"] = record_kind.window_end(
            dict(row, publication_ends_on=values.get("publication_ends_on")))
        rows.append(row)
    if not rows:
        return []
    db.session.flush()
    ids = _insert_rows(model, rows)
    with_defaults = [{"subject": kind, "subject_id": i, "action": "created", "changes": None,
                      "reason": None, "actor_id": _actor_id(actor), "via": _channel()[0],
                      "source": _channel()[1], "at": now} for i in ids]
    db.session.connection().execute(RegisterEvent.__table__.insert(), with_defaults)
    _refresh_agencies(kind, {row["agency_id"] for row in rows})
    return ids


def _insert_rows(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT many rows; their new ids (batched INSERT ... RETURNING on SQLite and
    PostgreSQL alike: SQLAlchemy's "insertmanyvalues").  Core inserts bypass the session's
    unit of work, so the rows are noted as changed for whoever follows the register
    (the search index, the cached public counts) exactly as an ORM flush would be."""
    from .caching import mark_changed

    mark_changed(db.session)
    table = model.__table__
    ids = list(db.session.connection().scalars(table.insert().returning(table.c.id), rows))
    note_written(db.session, model.KIND, ids)
    return ids


def update_record(record: Any, data: Mapping[str, Any], *, actor: Any = None) -> Any:
    """Correct a published record's fields (data may hold only the fields that change)."""
    kind = kinds.of(record)
    current = record_values(record)
    if "agency" not in data and ("agency_uscc" in data or kind.agency_key in data):
        current.pop("agency", None)  # the agency is named again by its USCC
    current.update(data)
    if kind.publication_end is not None and "publication_ends_on" not in data:
        current["publication_ends_on"] = None  # recomputed from the rule
    values = kind.clean(current, bureau=record.bureau)
    check_unique(kind, values, existing_id=record.id)
    before = _snapshot(record, _tracked(record))
    agency_before = getattr(record, "agency_id", None)
    write_fields(record, values)
    record.updated_by_id = _actor_id(actor)
    db.session.flush()
    _record_edit(record, before, actor)
    _refresh_agencies(kind.key, {agency_before, getattr(record, "agency_id", None)})
    return record


def _record_edit(record: Any, before: Mapping[str, Any], actor: Any) -> None:
    changed = _diff(before, _snapshot(record, _tracked(record)))
    if changed:
        record_event(kinds.of(record).key, record.id, "edited", actor=actor, changes=changed)


def update_fields(record: Any, values: Mapping[str, Any], fields: Collection[str], *,
                  actor: Any = None) -> None:
    """Write only ``fields`` of cleaned ``values`` (a re-import of some columns); flushes."""
    before = _snapshot(record, _tracked(record))
    agency_before = getattr(record, "agency_id", None)
    write_fields(record, values, fields)
    record.updated_by_id = _actor_id(actor)
    db.session.flush()
    _record_edit(record, before, actor)
    _refresh_agencies(kinds.of(record).key, {agency_before, getattr(record, "agency_id", None)})


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None)


def _set_status(record: Any, status: str, reason: str, actor: Any,
                at: dt.datetime | None = None) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("必须填写原因")})
    record.status = status
    record.status_reason = reason
    record.status_changed_at = at or utcnow()
    record.status_changed_by_id = _actor_id(actor)
    record.updated_by_id = _actor_id(actor)
    record_event(kinds.of(record).key, record.id, status, actor=actor, reason=reason,
                 changes={"status": ("published", status)})


def withdraw_record(record: Any, reason: str, *, actor: Any = None,
                    at: dt.datetime | None = None) -> None:
    """Stop publishing a record (e.g. a revoked decision); the row is kept."""
    if record.status == "withdrawn":
        raise ValidationError({"status": _("该记录已撤回")})
    _set_status(record, "withdrawn", reason, actor, at)
    db.session.flush()
    _refresh_agencies(kinds.of(record).key, {getattr(record, "agency_id", None)})


def repair_record(record: Any, reason: str, *, actor: Any = None,
                  on: dt.date | None = None, at: dt.datetime | None = None) -> None:
    """Credit repair (信用修复): hide a penalty early, after 6 months of publication."""
    on = on or today_cn()
    if not isinstance(record, Penalty):
        raise ValidationError({"status": _("只有行政处罚信息可以申请信用修复；名录记录请办理移出")})
    if record.status != "published":
        raise ValidationError({"status": _("只有公示中的记录可以信用修复")})
    if set(record.penalty_kind_list) & NOT_REPAIRABLE_KINDS:
        raise ValidationError({"status": _("吊销执业许可证的处罚信息不能信用修复")})
    allowed = repair_allowed_from(record)
    if on < allowed:
        raise ValidationError({"status": _("公示满6个月后才能信用修复（%(d)s 起）",
                                           d=allowed.isoformat())})
    _set_status(record, "repaired", reason, actor, at)
    db.session.flush()


def remove_list_entry(entry: ListEntry, *, reason: str, removed_on: Any, authority: str | None,
                      actor: Any = None) -> ListEntry:
    """Record the removal of a list entry; the entry stays visible, marked removed."""
    errors = {}
    if entry.removed_on is not None:
        errors["removed_on"] = _("该记录已于 %(d)s 移出", d=entry.removed_on.isoformat())
    if reason not in vocab.LIST_REMOVAL_REASONS:
        errors["removal_reason"] = _("移出原因“%(value)s”不是允许的值", value=reason or "")
    try:
        removed_on = parse_date(removed_on)
    except (ValueError, TypeError):
        errors["removed_on"] = _("移出日期不是有效日期")
    else:
        if removed_on < entry.included_on:
            errors["removed_on"] = _("移出日期不能早于列入日期")
    if errors:
        raise ValidationError(errors)
    entry.removal_reason = reason
    entry.removed_on = removed_on
    entry.removal_authority = (authority or "").strip() or entry.inclusion_authority
    entry.updated_by_id = _actor_id(actor)
    record_event("list_entry", entry.id, "removed", actor=actor, reason=reason,
                 changes={"removed_on": (None, removed_on.isoformat())})
    db.session.flush()
    _refresh_agencies("list_entry", {entry.agency_id})
    return entry
