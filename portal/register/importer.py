"""Import the register from the spreadsheets bureaus keep (CSV or XLSX).

``plan_import`` reads and validates every row (with the same rules as the
forms: ``services.clean_agency`` / ``services.clean_record``) and works out, by
natural key, what would be created, updated or left unchanged.  ``apply_import``
writes a plan that has no errors, all or nothing.  Re-importing the same file
changes nothing.

Natural keys: agency USCC; penalty decision number; credit grade agency + period;
spot check task number + agency; list entry agency + list + inclusion date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from . import services
from .columns import COLUMNS, Column, match_header
from .models import RECORD_MODELS, Agency, CreditGrade, ListEntry, Penalty, SpotCheck
from .services import ValidationError, _

KINDS = tuple(COLUMNS)
MAX_ROWS = 200_000


@dataclass
class RowError:
    row: int  # row number as a spreadsheet shows it (the header is row 1)
    column: str  # the column header as written in the file ("" for the whole row)
    message: str  # in Chinese

    def __str__(self) -> str:
        where = _("第 %(row)s 行", row=self.row)
        return f"{where}「{self.column}」：{self.message}" if self.column else f"{where}：{self.message}"


@dataclass
class PlannedRow:
    row: int
    key: tuple
    values: dict
    existing: object | None = None
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
    """The file cannot be read at all (message in Chinese)."""


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
        raise ImportFileError(_("无法识别文件编码：请保存为 UTF-8 或 GB18030 编码的 CSV 文件")) from None


def read_table(path_or_file, filename: str | None = None) -> list[list]:
    """Rows (lists of cell values) of a CSV or the first sheet of an XLSX file."""
    raw = _read_bytes(path_or_file)
    name = (filename or (str(path_or_file) if isinstance(path_or_file, (str, Path)) else "")).lower()
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
    return [row for row in csv.reader(io.StringIO(text, newline=""), dialect)]


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
# Planning
# ---------------------------------------------------------------------------

def _blank_row(row) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _natural_key(kind: str, values: dict) -> tuple:
    if kind == "agency":
        return (values["uscc"],)
    if kind == "penalty":
        return (values["decision_number"],)
    agency_id = values["agency"].id
    if kind == "spot_check":
        return (values["task_number"], agency_id)
    if kind == "credit_grade":
        return (agency_id, values["period"])
    return (agency_id, values["list_kind"], values["included_on"])


def _find_existing(kind: str, values: dict):
    if kind == "agency":
        return db.session.scalar(select(Agency).where(Agency.uscc == values["uscc"]))
    if kind == "penalty":
        return db.session.scalar(select(Penalty).where(
            Penalty.decision_number == values["decision_number"]))
    agency_id = values["agency"].id
    if kind == "spot_check":
        return db.session.scalar(select(SpotCheck).where(
            SpotCheck.task_number == values["task_number"], SpotCheck.agency_id == agency_id))
    if kind == "credit_grade":
        return db.session.scalar(select(CreditGrade).where(
            CreditGrade.period == values["period"], CreditGrade.agency_id == agency_id))
    return db.session.scalar(select(ListEntry).where(
        ListEntry.agency_id == agency_id, ListEntry.list_kind == values["list_kind"],
        ListEntry.included_on == values["included_on"]))


def _same(old, new) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        if old is None or new is None:
            return old is new
        return Decimal(old) == Decimal(new)
    if isinstance(old, dt.datetime):
        old = old.date()
    return old == new


def _record_fields(kind: str, present: set[str]) -> set[str]:
    """Fields an update may change: the file's columns plus what is derived from them."""
    fields = set(present) - {"agency_uscc", "agency_name", "party_uscc"}
    if kind == "penalty":
        fields |= {"agency", "party_uscc"} if "party_uscc" in present else set()
        if "party_name" not in present:
            fields.discard("party_name")
    else:
        fields.add("agency")
    return fields


def _diff(kind: str, existing, values: dict, fields: set[str]) -> dict:
    changes = {}
    if kind == "agency":
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
    for f in fields:
        if f in ("agency",):
            old_id = existing.agency_id
            new_id = values["agency"].id if values.get("agency") is not None else None
            if old_id != new_id:
                changes[f] = (old_id, new_id)
            continue
        if f == "publication_ends_on" and kind == "penalty" and values.get(f) is None:
            continue
        if f not in values:
            continue
        if not _same(getattr(existing, f), values[f]):
            changes[f] = (getattr(existing, f), values[f])
    if kind == "penalty" and values.get("publication_ends_on") is None:
        new_end = services.publication_end_for(
            [k for k in values["penalty_kinds"].split("、") if k], values["fine_amount"],
            values["suspension_months"],
            values["published_on"] if "published_on" in fields else existing.published_on)
        if existing.publication_ends_on != new_end:
            changes["publication_ends_on"] = (existing.publication_ends_on, new_end)
    return changes


def plan_import(kind: str, path_or_file, filename: str | None = None, *, bureau=None) -> ImportPlan:
    """Read and validate a file of ``kind``; nothing is written."""
    plan = ImportPlan(kind=kind, filename=filename or (
        str(path_or_file) if isinstance(path_or_file, (str, Path)) else ""))
    if kind not in KINDS:
        plan.errors.append(RowError(0, "", _("未知的导入类型：%(kind)s", kind=kind)))
        return plan
    try:
        table = read_table(path_or_file, filename)
    except ImportFileError as exc:
        plan.errors.append(RowError(0, "", str(exc)))
        return plan
    header_idx = next((i for i, r in enumerate(table) if not _blank_row(r)), None)
    if header_idx is None:
        plan.errors.append(RowError(1, "", _("文件是空的")))
        return plan
    header = ["" if h is None else str(h).strip() for h in table[header_idx]]
    plan.columns = header
    colmap: dict[int, Column] = {}
    header_of: dict[str, str] = {c.field: c.header for c in COLUMNS[kind]}
    for i, h in enumerate(header):
        if not h:
            continue
        col = match_header(kind, h)
        if col is None:
            plan.errors.append(RowError(header_idx + 1, h, _("无法识别的列名（请对照导入说明中的列名）")))
            continue
        if col.field in plan.fields:
            plan.errors.append(RowError(header_idx + 1, h, _("列“%(col)s”重复出现", col=col.header)))
            continue
        colmap[i] = col
        plan.fields.add(col.field)
        header_of[col.field] = h
    for col in COLUMNS[kind]:
        if col.required and col.field not in plan.fields:
            if kind == "spot_check" and col.field == "authority":
                continue
            plan.errors.append(RowError(header_idx + 1, col.header, _("缺少必填列")))
    if plan.errors:
        return plan

    agency_cache: dict[str, Agency | None] = {}

    def lookup(code: str) -> Agency | None:
        if code not in agency_cache:
            agency_cache[code] = db.session.scalar(select(Agency).where(Agency.uscc == code))
        return agency_cache[code]

    seen_keys: dict[tuple, int] = {}
    seen_licences: dict[str, int] = {}
    update_fields = (set(plan.fields) if kind == "agency" else _record_fields(kind, plan.fields))
    for offset, row in enumerate(table[header_idx + 1:], start=header_idx + 2):
        if _blank_row(row):
            continue
        plan.rows += 1
        if plan.rows > MAX_ROWS:
            plan.errors.append(RowError(offset, "", _("文件超过 %(n)s 行，请拆分后导入", n=MAX_ROWS)))
            break
        data = {}
        for i, col in colmap.items():
            data[col.field] = row[i] if i < len(row) else None
        extra = [v for v in row[len(header):] if v not in (None, "")]
        if extra:
            plan.errors.append(RowError(offset, "", _("本行的数据比表头多，请检查是否有多余的分隔符")))
            continue
        try:
            if kind == "agency":
                values = services.clean_agency(data)
            else:
                values = services.clean_record(kind, data, bureau=bureau, agency_lookup=lookup)
        except ValidationError as exc:
            for f, message in exc.errors.items():
                plan.errors.append(RowError(offset, header_of.get(f, f), message))
            continue
        if kind != "agency" and kind != "penalty" and data.get("agency_name") not in (None, ""):
            agency = values["agency"]
            names = {agency.name, *(n.name for n in agency.former_names)}
            if str(data["agency_name"]).strip() not in names:
                plan.errors.append(RowError(offset, header_of["agency_name"], _(
                    "机构名称与统一社会信用代码不符（登记簿中为“%(name)s”）", name=agency.name)))
                continue
        key = _natural_key(kind, values)
        if key in seen_keys:
            column = header_of.get({"agency": "uscc", "penalty": "decision_number",
                                    "spot_check": "task_number", "credit_grade": "period",
                                    "list_entry": "included_on"}[kind], "")
            plan.errors.append(RowError(offset, column, _("与第 %(row)s 行重复", row=seen_keys[key])))
            continue
        seen_keys[key] = offset
        if kind == "agency" and values.get("licence_no"):
            lic = values["licence_no"]
            if lic in seen_licences:
                plan.errors.append(RowError(offset, header_of["licence_no"],
                                            _("执业许可证号与第 %(row)s 行重复", row=seen_licences[lic])))
                continue
            seen_licences[lic] = offset
            clash = db.session.scalar(select(Agency).where(Agency.licence_no == lic,
                                                           Agency.uscc != values["uscc"]))
            if clash is not None:
                plan.errors.append(RowError(offset, header_of["licence_no"], _(
                    "执业许可证号 %(no)s 已属于 %(name)s", no=lic, name=clash.name)))
                continue
        existing = _find_existing(kind, values)
        planned = PlannedRow(offset, key, values, existing)
        if existing is None:
            plan.creates.append(planned)
        else:
            planned.changes = _diff(kind, existing, values, update_fields)
            (plan.updates if planned.changes else plan.unchanged).append(planned)
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
    kind = plan.kind
    fields = set(plan.fields) if kind == "agency" else _record_fields(kind, plan.fields)
    with db.session.begin_nested():
        for item in plan.creates:
            if kind == "agency":
                services.save_agency(item.values, actor=actor)
            else:
                services.create_record(kind, item.values, actor=actor, bureau=bureau)
        for item in plan.updates:
            if kind == "agency":
                services.save_agency(item.values, actor=actor, fields=fields)
            else:
                _update_record(item.existing, item.values, fields, actor)
    db.session.flush()
    plan.applied = True
    return plan


def _update_record(record, values: dict, fields: set[str], actor) -> None:
    chosen = {f: v for f, v in values.items() if f in fields and f != "agency_uscc"}
    for f, v in chosen.items():
        if f != "publication_ends_on":
            setattr(record, f, v)
    if isinstance(record, Penalty):
        record.publication_ends_on = values.get("publication_ends_on") or \
            services.penalty_publication_end(record)
    elif "publication_ends_on" in fields:
        record.publication_ends_on = values.get("publication_ends_on")
    record.updated_by_id = getattr(actor, "id", None)
    db.session.flush()


__all__ = [
    "KINDS",
    "RECORD_MODELS",
    "ImportFileError",
    "ImportPlan",
    "PlannedRow",
    "RowError",
    "apply_import",
    "plan_import",
    "read_table",
]
