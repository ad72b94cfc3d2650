"""The register's writes: agencies (create / update by USCC) and public records (publish,
correct, withdraw, repair, remove a list entry).

Every change goes through here (forms, the importer, tests).  What a kind asks for and
how it is validated is the kind's declaration (``kinds``); field parsing is
``cleaning``; the publication window is ``publication``.  Services validate, write,
record who and when, and ``flush()``; the caller commits.  The read side (queries,
public pages, search) never imports this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from ..extensions import db
from ..timeutil import today as today_cn
from ..timeutil import utcnow
from . import kinds, vocab
from .cleaning import AgencyLookup, ValidationError, _, parse_date
from .kinds import AGENCY, RecordKind
from .models import Agency, AgencyFormerName, ListEntry, Penalty
from .publication import NOT_REPAIRABLE_KINDS, repair_allowed_from

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
    return agency


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
        if field in ("agency_uscc", "publication_ends_on"):
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
    record = kinds.get(kind).model(status="published")
    write_fields(record, values)
    record.bureau = bureau
    record.created_by_id = record.updated_by_id = _actor_id(actor)
    db.session.add(record)
    db.session.flush()
    return record


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
    write_fields(record, values)
    record.updated_by_id = _actor_id(actor)
    db.session.flush()
    return record


def update_fields(record: Any, values: Mapping[str, Any], fields: Collection[str], *,
                  actor: Any = None) -> None:
    """Write only ``fields`` of cleaned ``values`` (a re-import of some columns); flushes."""
    write_fields(record, values, fields)
    record.updated_by_id = _actor_id(actor)
    db.session.flush()


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None)


def _set_status(record: Any, status: str, reason: str, actor: Any) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("必须填写原因")})
    record.status = status
    record.status_reason = reason
    record.status_changed_at = utcnow()
    record.status_changed_by_id = _actor_id(actor)
    record.updated_by_id = _actor_id(actor)


def withdraw_record(record: Any, reason: str, *, actor: Any = None) -> None:
    """Stop publishing a record (e.g. a revoked decision); the row is kept."""
    if record.status == "withdrawn":
        raise ValidationError({"status": _("该记录已撤回")})
    _set_status(record, "withdrawn", reason, actor)
    db.session.flush()


def repair_record(record: Any, reason: str, *, actor: Any = None,
                  on: dt.date | None = None) -> None:
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
    _set_status(record, "repaired", reason, actor)
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
    db.session.flush()
    return entry
