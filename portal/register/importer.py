"""Import the register from the spreadsheets bureaus keep (CSV or XLSX).

``plan_import`` reads the file, maps its headers to the kind's columns, validates
every row with the same rules as the forms (the kind's ``clean``) and works out, by
the kind's natural key, what would be created, updated or left unchanged.
``apply_import`` writes a plan that has no errors, all or nothing.  Re-importing the
same file changes nothing.  Columns, natural keys and rules are declared in ``kinds``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..extensions import db
from . import kinds, services
from .cleaning import ValidationError, _
from .kinds import AGENCY, Column, Dataset, RecordKind, UnknownKind
from .models import Agency

MAX_ROWS = 200_000


@dataclass
class RowError:
    row: int  # row number as a spreadsheet shows it (the header is row 1)
    column: str  # the column header as written in the file ("" for the whole row)
    message: str  # in Chinese

    def __str__(self) -> str:
        where = _("第 %(row)s 行", row=self.row)
        if self.column:
            return f"{where}「{self.column}」：{self.message}"
        return f"{where}：{self.message}"


@dataclass
class PlannedRow:
    row: int
    key: tuple
    values: dict
    existing: Any = None
    changes: dict = field(default_factory=dict)  # field -> (old, new)


@dataclass
class ImportPlan:
    kind: str
    filename: str = ""
    errors: list[RowError] = field(default_factory=list)
    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    unchanged: list[PlannedRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # headers as found in the file
    fields: set[str] = field(default_factory=set)  # fields present in the file
    rows: int = 0
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        return {"creates": len(self.creates), "updates": len(self.updates),
                "unchanged": len(self.unchanged), "errors": len(self.errors), "rows": self.rows}


class ImportFileError(Exception):
    """The file cannot be read at all (message in Chinese); reported as a plan error."""


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

def _read_bytes(path_or_file) -> bytes:
    if isinstance(path_or_file, (bytes, bytearray)):
        return bytes(path_or_file)
    if isinstance(path_or_file, (str, Path)):
        return Path(path_or_file).read_bytes()
    data = path_or_file.read()
    return data if isinstance(data, bytes) else data.encode("utf-8")


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (which covers GBK/GB2312)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("无法识别文件编码：请保存为 UTF-8 或 GB18030 编码的 CSV 文件")) from None


def read_table(path_or_file, filename: str | None = None) -> list[list]:
    """Rows (lists of cell values) of a CSV or the first sheet of an XLSX file."""
    raw = _read_bytes(path_or_file)
    path = str(path_or_file) if isinstance(path_or_file, (str, Path)) else ""
    name = (filename or path).lower()
    if raw.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(raw)
    if name.endswith(".xls") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再导入"))
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("文件不是 CSV 或 XLSX 表格"))
    text = decode_csv(raw)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text, newline=""), dialect))


def _read_xlsx(raw: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any parse failure is a bad file for the user
        raise ImportFileError(_("无法读取 XLSX 文件，文件可能已损坏")) from None
    try:
        ws = wb.worksheets[0]
        return [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


# ---------------------------------------------------------------------------
# Mapping headers
# ---------------------------------------------------------------------------

def _norm(header: str) -> str:
    return (header or "").strip().lstrip("\ufeff").replace(" ", "").replace("\u3000", "") \
        .replace("(", "（").replace(")", "）").lower()


def header_map(dataset: Dataset) -> dict[str, Column]:
    """Normalised header, field name or alias -> column."""
    out: dict[str, Column] = {}
    for col in dataset.columns:
        for name in (col.header, col.field, *col.aliases):
            out.setdefault(_norm(name), col)
    return out


@dataclass
class Headers:
    """Which file column holds which field, and each field's header as written in the file."""

    columns: dict[int, Column] = field(default_factory=dict)
    header_of: dict[str, str] = field(default_factory=dict)

    def row_data(self, row: list) -> dict[str, Any]:
        return {col.field: row[i] if i < len(row) else None for i, col in self.columns.items()}


def _map_headers(plan: ImportPlan, dataset: Dataset, header: list[str], row_no: int) -> Headers:
    known = header_map(dataset)
    found = Headers(header_of={c.field: c.header for c in dataset.columns})
    for i, h in enumerate(header):
        if not h:
            continue
        col = known.get(_norm(h))
        if col is None:
            plan.errors.append(RowError(row_no, h, _("无法识别的列名（请对照导入说明中的列名）")))
        elif col.field in plan.fields:
            plan.errors.append(RowError(row_no, h, _("列“%(col)s”重复出现", col=col.header)))
        else:
            found.columns[i] = col
            found.header_of[col.field] = h
            plan.fields.add(col.field)
    for col in dataset.columns:
        if col.required and col.field not in plan.fields:
            plan.errors.append(RowError(row_no, col.header, _("缺少必填列")))
    return found


# ---------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------

def _blank_row(row) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _same(old, new) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        if old is None or new is None:
            return old is new
        return Decimal(old) == Decimal(new)
    if isinstance(old, dt.datetime):
        old = old.date()
    return old == new


def update_fields(dataset: Dataset, present: set[str]) -> set[str]:
    """Fields an update may change: the file's columns stored on the row, plus the
    agency when the column that names it is in the file."""
    if not isinstance(dataset, RecordKind):
        return set(present)
    stored = set(dataset.model.__table__.columns.keys())
    fields = present & stored
    if dataset.agency_key in present:
        fields.add("agency")
    return fields


def _diff_agency(existing: Agency, values: dict, fields: set[str]) -> dict:
    changes = {}
    for f in services.AGENCY_FIELDS:
        if (f in fields or f == "name") and not _same(getattr(existing, f), values[f]):
            changes[f] = (getattr(existing, f), values[f])
    if ("bureau_code" in fields or "division_code" in fields) and values["bureau"] is not None \
            and existing.bureau_id != values["bureau"].id:
        changes["bureau"] = (existing.bureau_id, values["bureau"].id)
    known = {n.name for n in existing.former_names}
    new_names = [n for n in values["former_names"] if n not in known and n != values["name"]]
    if new_names:
        changes["former_names"] = (sorted(known), new_names)
    return changes


def _diff_record(kind: RecordKind, existing, values: dict, fields: set[str]) -> dict:
    changes = {}
    if "agency" in fields:
        new_id = values["agency"].id if values.get("agency") is not None else None
        if existing.agency_id != new_id:
            changes["agency"] = (existing.agency_id, new_id)
    by_rule = kind.publication_end is not None and values.get("publication_ends_on") is None
    for f in fields - {"agency"}:
        if f in values and not (by_rule and f == "publication_ends_on") \
                and not _same(getattr(existing, f), values[f]):
            changes[f] = (getattr(existing, f), values[f])
    if by_rule:
        published = values["published_on"] if "published_on" in fields else existing.published_on
        new_end = kind.window_end(dict(values, published_on=published))
        if existing.publication_ends_on != new_end:
            changes["publication_ends_on"] = (existing.publication_ends_on, new_end)
    return changes


class _Planner:
    """Cleans the rows of one file and sorts them into creates, updates and unchanged."""

    def __init__(self, plan: ImportPlan, dataset: Dataset, headers: Headers, bureau):
        self.plan, self.dataset, self.headers, self.bureau = plan, dataset, headers, bureau
        self.fields = update_fields(dataset, plan.fields)
        self.seen_keys: dict[tuple, int] = {}
        self.seen_licences: dict[str, int] = {}
        self._agencies: dict[str, Agency | None] = {}

    def error(self, row_no: int, field_name: str, message: str) -> None:
        column = self.headers.header_of.get(field_name, field_name) if field_name else ""
        self.plan.errors.append(RowError(row_no, column, message))

    def lookup(self, code: str) -> Agency | None:
        if code not in self._agencies:
            self._agencies[code] = db.session.scalar(select(Agency).where(Agency.uscc == code))
        return self._agencies[code]

    def add(self, row_no: int, row: list) -> None:
        if any(v not in (None, "") for v in row[len(self.plan.columns):]):
            self.error(row_no, "", _("本行的数据比表头多，请检查是否有多余的分隔符"))
            return
        data = self.headers.row_data(row)
        try:
            values = self.dataset.clean(data, bureau=self.bureau, agency_lookup=self.lookup)
        except ValidationError as exc:
            for f, message in exc.errors.items():
                self.error(row_no, f, message)
            return
        if self._name_matches(row_no, data, values) and self._unique(row_no, values):
            self._sort(row_no, values)

    def _name_matches(self, row_no: int, data: dict, values: dict) -> bool:
        """The agency name given (if any) is the agency's current or a former name."""
        agency = values.get("agency")
        given = data.get("agency_name")
        if agency is None or given in (None, ""):
            return True
        if str(given).strip() in {agency.name, *(n.name for n in agency.former_names)}:
            return True
        self.error(row_no, "agency_name", _(
            "机构名称与统一社会信用代码不符（登记簿中为“%(name)s”）", name=agency.name))
        return False

    def _unique(self, row_no: int, values: dict) -> bool:
        """No earlier row has the same natural key (nor, for agencies, licence number)."""
        key = self.dataset.natural_key.of(values)
        if key in self.seen_keys:
            self.error(row_no, self.dataset.natural_key.error_field,
                       _("与第 %(row)s 行重复", row=self.seen_keys[key]))
            return False
        self.seen_keys[key] = row_no
        return self.dataset is not AGENCY or self._licence_free(row_no, values)

    def _licence_free(self, row_no: int, values: dict) -> bool:
        licence = values.get("licence_no")
        if not licence:
            return True
        if licence in self.seen_licences:
            self.error(row_no, "licence_no", _("执业许可证号与第 %(row)s 行重复",
                                               row=self.seen_licences[licence]))
            return False
        self.seen_licences[licence] = row_no
        clash = services.licence_holder(licence, values["uscc"])
        if clash is not None:
            self.error(row_no, "licence_no", _("执业许可证号 %(no)s 已属于 %(name)s",
                                               no=licence, name=clash.name))
            return False
        return True

    def _sort(self, row_no: int, values: dict) -> None:
        existing = self.dataset.find_existing(values)
        planned = PlannedRow(row_no, self.dataset.natural_key.of(values), values, existing)
        if existing is None:
            self.plan.creates.append(planned)
            return
        if isinstance(self.dataset, RecordKind):
            planned.changes = _diff_record(self.dataset, existing, values, self.fields)
        else:
            planned.changes = _diff_agency(existing, values, self.fields)
        (self.plan.updates if planned.changes else self.plan.unchanged).append(planned)


def plan_import(kind: str, path_or_file, filename: str | None = None, *, bureau=None) -> ImportPlan:
    """Read and validate a file of ``kind``; nothing is written."""
    plan = ImportPlan(kind=kind, filename=filename or (
        str(path_or_file) if isinstance(path_or_file, (str, Path)) else ""))
    try:
        dataset = kinds.dataset(kind)
        table = read_table(path_or_file, filename)
    except UnknownKind:
        plan.errors.append(RowError(0, "", _("未知的导入类型：%(kind)s", kind=kind)))
        return plan
    except ImportFileError as exc:
        plan.errors.append(RowError(0, "", str(exc)))
        return plan
    header_idx = next((i for i, r in enumerate(table) if not _blank_row(r)), None)
    if header_idx is None:
        plan.errors.append(RowError(1, "", _("文件是空的")))
        return plan
    plan.columns = ["" if h is None else str(h).strip() for h in table[header_idx]]
    headers = _map_headers(plan, dataset, plan.columns, header_idx + 1)
    if plan.errors:
        return plan
    planner = _Planner(plan, dataset, headers, bureau)
    for row_no, row in enumerate(table[header_idx + 1:], start=header_idx + 2):
        if _blank_row(row):
            continue
        plan.rows += 1
        if plan.rows > MAX_ROWS:
            plan.errors.append(
                RowError(row_no, "", _("文件超过 %(n)s 行，请拆分后导入", n=MAX_ROWS)))
            break
        planner.add(row_no, row)
    return plan


# ---------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------

def apply_import(plan: ImportPlan, *, actor=None, bureau=None) -> ImportPlan:
    """Write a valid plan, all or nothing (a savepoint); flushes, the caller commits."""
    if not plan.ok:
        raise ValidationError({"file": _("文件有错误，未导入任何数据")})
    if plan.applied:
        return plan
    dataset = kinds.dataset(plan.kind)
    fields = update_fields(dataset, plan.fields)
    with db.session.begin_nested():
        if isinstance(dataset, RecordKind):
            for item in plan.creates:
                services.create_record(dataset.key, item.values, actor=actor, bureau=bureau)
            for item in plan.updates:
                services.update_fields(item.existing, item.values, fields, actor=actor)
        else:
            for item in plan.creates:
                services.save_agency(item.values, actor=actor)
            for item in plan.updates:
                services.save_agency(item.values, actor=actor, fields=fields)
    db.session.flush()
    plan.applied = True
    return plan


__all__ = [
    "ImportFileError",
    "ImportPlan",
    "PlannedRow",
    "RowError",
    "apply_import",
    "plan_import",
    "read_table",
]
