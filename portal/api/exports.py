"""Downloads of filtered results (CSV, XLSX, JSON Lines) and the whole-register JSON Lines
dump.  Everything streams: rows are read in batches (``yield_per``) and written out as
they come, so memory stays flat whatever the size of the result.

CSV and XLSX use the dataset's import columns and headers (a download re-imports
unchanged); JSON Lines uses the field names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from flask import Response, current_app, stream_with_context, url_for
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..register import kinds, queries
from ..register.kinds import Dataset
from ..register.models import Agency
from ..security import neutralize_row
from ..timeutil import today as today_cn

BATCH = 1000
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "jsonl": "application/x-ndjson; charset=utf-8"}


def cell(value: Any) -> Any:
    """A value as written to a file: dates ISO, decimals without trailing zeros."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _labelled(dataset: Dataset) -> dict[str, dict]:
    return {c.field: {k: str(v) for k, v in c.labels.items()}
            for c in dataset.columns if c.labels is not None}


def agency_values(agency: Agency) -> dict[str, Any]:
    return {
        "uscc": agency.uscc, "name": agency.name, "licence_no": agency.licence_no,
        "kind": agency.kind, "status": agency.status, "address": agency.address,
        "division_code": agency.division_code, "legal_rep": agency.legal_rep,
        "agent_count": agency.agent_count, "established_on": agency.established_on,
        "branches": "；".join((agency.branches or "").splitlines()),
        "former_names": "；".join(f.name for f in agency.former_names),
        "bureau_code": agency.bureau.code if agency.bureau else None,
    }


def record_values(dataset: Dataset, record) -> dict[str, Any]:
    out = {}
    for column in dataset.columns:
        if column.field in ("agency_uscc", "agency_name"):
            agency = record.agency
            out[column.field] = getattr(agency, column.field[7:]) if agency else None
        else:
            out[column.field] = getattr(record, column.field)
    return out


def filtered_rows(dataset: Dataset, query) -> Iterator[dict[str, Any]]:
    """Dicts of the rows of ``query`` (a select of the dataset's model), in id order."""
    model = dataset.model
    if dataset is kinds.AGENCY:
        query = query.options(selectinload(Agency.former_names), joinedload(Agency.bureau))
        values: Callable[[Any], dict] = agency_values
    else:
        query = query.options(joinedload(model.agency))
        values = lambda r: record_values(dataset, r)  # noqa: E731
    query = query.order_by(None).order_by(model.id).execution_options(yield_per=BATCH)
    for row in db.session.scalars(query):
        yield values(row)


# -- writers ------------------------------------------------------------------------------


def _table(dataset: Dataset, rows: Iterable[dict]) -> Iterator[list]:
    labels = _labelled(dataset)
    fields = [c.field for c in dataset.columns]
    for row in rows:
        yield [labels[f].get(row[f], row[f]) if f in labels else cell(row[f]) for f in fields]


def write_csv(dataset: Dataset, rows: Iterable[dict]) -> Iterator[str]:
    return csv_lines([c.header for c in dataset.columns], _table(dataset, rows))


def csv_lines(headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """UTF-8 CSV with a BOM (so that Excel reads the Chinese), in chunks of BATCH rows."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow(headers)
    for n, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else v for v in neutralize_row(row)])
        if n % BATCH == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_xlsx(dataset: Dataset, rows: Iterable[dict]) -> Iterator[bytes]:
    return xlsx_chunks(dataset.download, [c.header for c in dataset.columns],
                       _table(dataset, rows))


def xlsx_chunks(title: str, headers: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """A write-only workbook (rows go to a temporary file, not memory), then its bytes."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append(neutralize_row(row))  # a text cell starting "=" would be a formula
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        book.save(out)
        out.seek(0)
        while chunk := out.read(256 * 1024):
            yield chunk


def write_jsonl(records: Iterable[dict]) -> Iterator[str]:
    lines = []
    for n, record in enumerate(records, 1):
        lines.append(json.dumps(record, ensure_ascii=False, default=cell))
        if n % BATCH == 0:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def download(dataset: Dataset, fmt: str, rows: Iterable[dict], name: str) -> Response:
    if fmt == "csv":
        body: Iterator = write_csv(dataset, rows)
    elif fmt == "xlsx":
        body = write_xlsx(dataset, rows)
    else:
        body = write_jsonl({"dataset": dataset.key, **row} for row in rows)
    return attachment(body, fmt, name)


def attachment(body: Iterable, fmt: str, name: str, **headers: str) -> Response:
    """A streamed download named ``<name>-<today>.<fmt>``."""
    filename = f"{name}-{today_cn().isoformat()}.{fmt}"
    return Response(stream_with_context(body), mimetype=FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff", **headers})


# -- the whole register as JSON Lines -----------------------------------------------------


def dump_lines() -> Iterator[dict]:
    """Every agency and every public record: the open-data export rows, keyed by field."""
    for dataset in kinds.DATASETS:
        fields = [c.field for c in dataset.columns]
        for row in queries.export_rows(dataset.key):
            yield {"dataset": dataset.key, **dict(zip(fields, row, strict=True))}


# -- what /data/ and /api/v1/datasets say about each file ----------------------------------


def last_updated(dataset: Dataset) -> dt.datetime | None:
    model = dataset.model
    stamps = [db.session.scalar(select(func.max(model.updated_at)))]
    if hasattr(model, "status_changed_at"):
        stamps.append(db.session.scalar(select(func.max(model.status_changed_at))))
    return max((s for s in stamps if s is not None), default=None)


def dataset_info() -> list[dict]:
    counts = queries.home_counts()
    licence = current_app.config["OPEN_DATA_LICENCE"]
    licence_url = current_app.config["OPEN_DATA_LICENCE_URL"]
    out = []
    for dataset in kinds.DATASETS:
        endpoint = "api.agencies_export" if dataset is kinds.AGENCY else (
            f"api.{dataset.key}_export")
        # issue 14 — patent agents: a dataset without a filtered API export has the full CSV
        formats = ({fmt: url_for(endpoint, fmt=fmt, _external=True) for fmt in FORMATS}
                   if endpoint in current_app.view_functions else {})
        formats["csv_full"] = url_for("register.download", kind=dataset.download,
                                      _external=True)
        out.append({"key": dataset.key, "label": str(dataset.label),
                    "rows": counts[dataset.counted_as], "last_updated": last_updated(dataset),
                    "licence": licence, "licence_url": licence_url, "formats": formats})
    return out
