"""The API's response shapes, as marshmallow schemas.

The same schemas serialise every response and describe it in the OpenAPI document
(``spec.py``), so the document cannot drift from what the API returns.  Record schemas
are generated from the record-kind registry: one schema per kind, with the kind's
columns (``kinds.KINDS``) typed from the model's column types.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from ..register import kinds, vocab
from ..register.kinds import Dataset, RecordKind

# -- shared pieces -------------------------------------------------------------------


class UtcDateTime(fields.DateTime):
    """An RFC 3339 date-time in UTC ("…Z"): the database keeps naive UTC, the API says so."""

    def _serialize(self, value, attr, obj, **kwargs):
        return utc_iso(value)


def utc_iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())
    reason = fields.String(metadata={"description": "Why a record is no longer published "
                                                    "(withdrawn, repaired, expired)."})
    status_changed_at = UtcDateTime(allow_none=True)


class PageInfoSchema(Schema):
    limit = fields.Integer(required=True)
    next_cursor = fields.String(required=True, allow_none=True)
    next = fields.String(required=True, allow_none=True,
                         metadata={"description": "URL of the next page (null on the last)."})


def _enum(values) -> list:
    return [validate.OneOf(list(values))]


class FormerNameSchema(Schema):
    name = fields.String(required=True)
    until = fields.Date(required=True, allow_none=True)


class AgencySchema(Schema):
    uscc = fields.String(required=True)
    name = fields.String(required=True)
    former_names = fields.List(fields.Nested(FormerNameSchema), required=True)
    licence_no = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True, validate=_enum(vocab.AGENCY_KINDS))
    status = fields.String(required=True, validate=_enum(vocab.AGENCY_STATUSES))
    address = fields.String(required=True, allow_none=True)
    division_code = fields.String(required=True)
    region = fields.String(required=True, metadata={"description": "Division path name."})
    legal_rep = fields.String(required=True, allow_none=True)
    agent_count = fields.Integer(required=True)
    established_on = fields.Date(required=True, allow_none=True)
    branches = fields.List(fields.String(), required=True)
    bureau_code = fields.String(required=True, allow_none=True)
    current_grade = fields.String(required=True, allow_none=True,
                                  validate=_enum([*vocab.CREDIT_GRADES, None]))
    updated_at = UtcDateTime(required=True)
    url = fields.String(required=True, metadata={"description": "The public page."})
    api_url = fields.String(required=True)


class BureauSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    parent_code = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True)
    agency_count = fields.Integer(required=True)


class DivisionSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    parent_code = fields.String(required=True, allow_none=True)
    path_name = fields.String(required=True)


class SearchHitSchema(Schema):
    kind = fields.String(required=True)
    kind_label = fields.String(required=True)
    id = fields.String(required=True, metadata={"description": "USCC or record id."})
    title = fields.String(required=True)
    snippet_html = fields.String(required=True,
                                 metadata={"description": "Escaped text with <mark> tags."})
    date = fields.Date(required=True, allow_none=True)
    url = fields.String(required=True, allow_none=True)
    # issue 14 — typical cases: a case hit has no API resource (null)
    api_url = fields.String(required=True, allow_none=True)


class FacetValueSchema(Schema):
    value = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)
    selected = fields.Boolean(required=True)


class SearchPageSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    items = fields.List(fields.Nested(SearchHitSchema), required=True)
    facets = fields.Dict(keys=fields.String(),
                         values=fields.List(fields.Nested(FacetValueSchema)), required=True)


class DatasetSchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    rows = fields.Integer(required=True)
    last_updated = UtcDateTime(required=True, allow_none=True)
    licence = fields.String(required=True)
    licence_url = fields.String(required=True)
    formats = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


@cache
def dumper(schema: type[Schema]) -> Schema:
    """One instance per schema, reused by every request: building a schema (and its
    nested schemas) costs more than dumping a page with it; dumping keeps no state."""
    return schema()


@cache
def list_schema(name: str, item: type[Schema]) -> type[Schema]:
    """A page of ``item``: {"items": [...], "page": {...}}."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item), required=True),
        "page": fields.Nested(PageInfoSchema, required=True),
    }, name=name)


@cache
def plain_list_schema(name: str, item: type[Schema]) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item), required=True)},
                            name=name)


# -- record schemas, generated from the registry --------------------------------------

_TYPES: tuple[tuple[type, type[fields.Field]], ...] = (
    (sa.Boolean, fields.Boolean), (sa.Integer, fields.Integer), (sa.Numeric, fields.Float),
    (sa.DateTime, UtcDateTime), (sa.Date, fields.Date), (sa.String, fields.String),
)


def _field_for(dataset: Dataset, name: str) -> fields.Field:
    column = dataset.model.__table__.c.get(name)
    description = {"description": dataset.label_of(name)}
    if column is None:  # agency_uscc / agency_name: from the linked agency
        return fields.String(required=True, allow_none=True, metadata=description)
    field_type = next((f for t, f in _TYPES if isinstance(column.type, t)), fields.String)
    checks = {}
    labels = next((c.labels for c in dataset.columns if c.field == name and c.labels), None)
    if labels:
        checks["validate"] = _enum([*labels, None] if column.nullable else labels)
    return field_type(required=True, allow_none=bool(column.nullable), metadata=description,
                      **checks)


@cache
def record_schema(kind_key: str) -> type[Schema]:
    """The schema of one public record of ``kind_key`` (columns of the registry)."""
    kind = kinds.get(kind_key)
    attrs: dict[str, Any] = {
        "id": fields.Integer(required=True),
        "kind": fields.String(required=True, validate=_enum([kind.key])),
        "status": fields.String(required=True),
        "updated_at": UtcDateTime(required=True),
        "url": fields.String(required=True),
        "api_url": fields.String(required=True),
        "agency_api_url": fields.String(required=True, allow_none=True),
    }
    for column in kind.columns:
        attrs[column.field] = _field_for(kind, column.field)
    attrs["publication_ends_on"] = _field_for(kind, "publication_ends_on")
    return Schema.from_dict(attrs, name=schema_name(kind))


def schema_name(kind: RecordKind) -> str:
    return "".join(part.title() for part in kind.key.split("_"))


@cache
def agency_detail_schema() -> type[Schema]:
    records = Schema.from_dict({
        kind.key: fields.List(fields.Nested(record_schema(kind.key)), required=True)
        for kind in kinds.KINDS}, name="AgencyRecords")
    return Schema.from_dict({
        "agency": fields.Nested(AgencySchema, required=True),
        "summary": fields.List(fields.String(), required=True),
        "records": fields.Nested(records, required=True),
    }, name="AgencyDetail")
