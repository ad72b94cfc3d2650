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
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..timeutil import today as today_cn
from . import divisions, kinds, services
from .cleaning import ValidationError, _, normalize_uscc
from .kinds import AGENCY, Column, Dataset, RecordKind, UnknownKind
from .models import Agency, Bureau
from .publication import NOT_REPAIRABLE_KINDS, repair_allowed_from

MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 20  # a header is looked for in the first rows (titles may come first)
# Columns that number the rows of a spreadsheet: ignored.
IGNORED_HEADERS = frozenset({"序号", "序", "no", "no.", "#", "行号", "编号序号"})
STATUS_FIELDS = frozenset({"status", "status_reason", "status_changed_at"})
BATCH = 500

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class RowError:
    row: int | None  # as a spreadsheet shows it (the header is row 1); None: the whole file
    column: str  # the column header as written in the file ("" for the whole row)
    message: str  # in Chinese

    def __str__(self) -> str:
        if self.row is None:
            return _("文件：%(text)s", text=self.message)
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
    bureau: Any = None  # the bureau responsible for the record
    status: str | None = None  # a status the row asks for (withdrawn / repaired)


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
    warnings: list[RowError] = field(default_factory=list)  # accepted, but worth saying
    notes: list[str] = field(default_factory=list)  # what the reader skipped or ignored

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        return {"creates": len(self.creates), "updates": len(self.updates),
                "unchanged": len(self.unchanged), "errors": len(self.errors), "rows": self.rows,
                "warnings": len(self.warnings)}

    def summary(self) -> str:
        return _("%(rows)s 行：新增 %(c)s，更新 %(u)s，未变化 %(n)s",
                 rows=self.rows, c=len(self.creates), u=len(self.updates),
                 n=len(self.unchanged))


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
    width: int = 0  # cells of the header row, ignored columns included

    def row_data(self, row: list) -> dict[str, Any]:
        return {col.field: row[i] if i < len(row) else None for i, col in self.columns.items()}


def _cells(row: list) -> list[str]:
    return ["" if h is None else str(h).strip() for h in row]


def _find_header(table: list[list], dataset: Dataset) -> int | None:
    """Index of the header row: the first of the first rows naming two or more of the
    kind's columns (a merged title row or notes may stand above it), else the first
    non-blank row (whose unknown columns are then reported)."""
    known = header_map(dataset)
    first = None
    for i, row in enumerate(table[: HEADER_SEARCH_ROWS + 1]):
        if _blank_row(row):
            continue
        first = i if first is None else first
        if sum(1 for h in _cells(row) if h and _norm(h) in known) >= 2:
            return i
    return first


def _map_headers(plan: ImportPlan, dataset: Dataset, header: list[str], row_no: int) -> Headers:
    known = header_map(dataset)
    found = Headers(header_of={c.field: c.header for c in dataset.columns}, width=len(header))
    ignored = []
    for i, h in enumerate(header):
        if not h:
            continue
        col = known.get(_norm(h))
        if col is None and _norm(h) in IGNORED_HEADERS:
            ignored.append(h)
        elif col is None:
            plan.errors.append(RowError(row_no, h, _("无法识别的列名（请对照导入说明中的列名）")))
        elif col.field in plan.fields:
            plan.errors.append(RowError(row_no, h, _("列“%(col)s”重复出现", col=col.header)))
        else:
            found.columns[i] = col
            found.header_of[col.field] = h
            plan.fields.add(col.field)
    if ignored:
        plan.notes.append(_("已忽略编号列：%(cols)s", cols="、".join(ignored)))
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
    agency when the column that names it is in the file (the status has its own rules)."""
    if not isinstance(dataset, RecordKind):
        return set(present)
    stored = set(dataset.model.__table__.columns.keys())
    fields = (present & stored) - STATUS_FIELDS
    if "decision_number" in fields:
        fields.add("decision_key")
    if dataset.agency_key in present:
        fields.add("agency")
    if "agent_certificate_no" in present:  # issue 14 — patent agents: the penalty's agent
        fields |= {"agent_id", "agency"}
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


def _stored_key(dataset: Dataset, obj: Any) -> tuple:
    return tuple(obj.agency_id if f == "agency" else getattr(obj, f)
                 for f in dataset.natural_key.fields)


def find_existing_many(dataset: Dataset, values_list: list[dict]) -> dict[tuple, Any]:
    """natural key -> stored row, for many cleaned rows at once (one query per batch)."""
    model, key_fields = dataset.model, dataset.natural_key.fields
    found: dict[tuple, Any] = {}
    for start in range(0, len(values_list), BATCH):
        batch = values_list[start:start + BATCH]
        if "agency" in key_fields:
            ids = {v["agency"].id for v in batch}
            query = select(model).where(model.agency_id.in_(ids))
        else:
            column = getattr(model, key_fields[0])
            query = select(model).where(column.in_({v[key_fields[0]] for v in batch}))
        if model is Agency:
            query = query.options(selectinload(Agency.former_names))
        for obj in db.session.scalars(query):
            found[_stored_key(dataset, obj)] = obj
    return found


class _Planner:
    """Cleans the rows of one file and sorts them into creates, updates and unchanged."""

    def __init__(self, plan: ImportPlan, dataset: Dataset, headers: Headers, bureau):
        self.plan, self.dataset, self.headers, self.bureau = plan, dataset, headers, bureau
        self.fields = update_fields(dataset, plan.fields)
        self.seen_keys: dict[tuple, int] = {}
        self.seen_licences: dict[str, int] = {}
        self._agencies: dict[str, Agency | None] = {}
        self._bureaus: dict[str, Bureau | None] = {}
        self.cleaned: list[tuple[int, tuple, dict]] = []

    def error(self, row_no: int | None, field_name: str, message: str) -> None:
        column = self.headers.header_of.get(field_name, field_name) if field_name else ""
        self.plan.errors.append(RowError(row_no, column, message))

    def lookup(self, code: str) -> Agency | None:
        if code not in self._agencies:
            self._agencies[code] = db.session.scalar(select(Agency).where(Agency.uscc == code))
        return self._agencies[code]

    def preload(self, rows: list[tuple[int, list]]) -> None:
        """Load the agencies the file names (by USCC) in a few queries, not one per row."""
        field_name = "uscc" if self.dataset is AGENCY else getattr(
            self.dataset, "agency_key", "agency_uscc")
        index = next((i for i, c in self.headers.columns.items() if c.field == field_name), None)
        if index is None:
            return
        codes = set()
        for _row_no, row in rows:
            try:
                codes.add(normalize_uscc(row[index] if index < len(row) else None))
            except ValueError:
                continue
        codes = sorted(codes)
        for start in range(0, len(codes), BATCH):
            batch = codes[start:start + BATCH]
            self._agencies.update(dict.fromkeys(batch))
            query = (select(Agency).where(Agency.uscc.in_(batch))
                     .options(selectinload(Agency.former_names), selectinload(Agency.bureau)))
            for agency in db.session.scalars(query):
                self._agencies[agency.uscc] = agency

    def add(self, row_no: int, row: list) -> None:
        if any(v not in (None, "") for v in row[self.headers.width:]):
            self.error(row_no, "", _("本行的数据比表头多，请检查是否有多余的分隔符"))
            return
        data = self.headers.row_data(row)
        warnings: dict[str, str] = {}
        try:
            values = self.dataset.clean(data, bureau=self.bureau, agency_lookup=self.lookup,
                                        warnings=warnings)
        except ValidationError as exc:
            for f, message in exc.errors.items():
                self.error(row_no, f, message)
            return
        for f, message in warnings.items():
            column = self.headers.header_of.get(f, f)
            self.plan.warnings.append(RowError(row_no, column, message))
        key = self.dataset.natural_key.of(values)
        if self._unique(row_no, key, values):
            self.cleaned.append((row_no, key, values))

    def _unique(self, row_no: int, key: tuple, values: dict) -> bool:
        """No earlier row has the same natural key (nor, for agencies, licence number)."""
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

    def sort_all(self, progress: Progress | None = None) -> None:
        existing = find_existing_many(self.dataset, [v for _n, _k, v in self.cleaned])
        total = len(self.cleaned)
        for done, (row_no, key, values) in enumerate(self.cleaned, 1):
            self._sort(row_no, key, values, existing.get(key))
            if progress and (done % 1000 == 0 or done == total):
                progress("sort", done, total)

    def _sort(self, row_no: int, key: tuple, values: dict, existing: Any) -> None:
        planned = PlannedRow(row_no, key, values, existing)
        if isinstance(self.dataset, RecordKind) and not self._record_rules(planned):
            return
        if existing is None:
            self.plan.creates.append(planned)
            return
        if isinstance(self.dataset, RecordKind):
            planned.changes = _diff_record(self.dataset, existing, values, self.fields)
            if existing.bureau_id is None and existing.agency_id is None \
                    and planned.bureau is not None:
                planned.changes["bureau"] = (None, planned.bureau.code)
            if planned.status:
                planned.changes["status"] = (existing.status, planned.status)
        elif self.dataset is kinds.AGENT:  # issue 14 — patent agents
            from .agents import agent_changes, move_problem

            planned.changes = agent_changes(existing, values, self.fields)
            problem = (move_problem(existing, values.get("practice_since"))
                       if "agency" in planned.changes else None)
            if problem:
                self.error(row_no, "practice_since", problem)
                return
        else:
            planned.changes = _diff_agency(existing, values, self.fields)
        (self.plan.updates if planned.changes else self.plan.unchanged).append(planned)

    def _record_rules(self, planned: PlannedRow) -> bool:
        """The responsible bureau and the status a record row asks for; False on an error."""
        values, existing = planned.values, planned.existing
        planned.bureau = self._responsible_bureau(planned.row, values)
        if planned.bureau is None:
            return False
        status = values.get("status")
        current = existing.status if existing is not None else "published"
        if status is None or status == current:
            return True
        problem = _status_problem(self.dataset, values, current, status)
        if problem:
            self.error(planned.row, "status", problem)
            return False
        planned.status = status
        return True

    def _responsible_bureau(self, row_no: int, values: dict) -> Bureau | None:
        """--bureau (or the uploading staff member's bureau), else the agency's bureau, else
        the bureau of the division in the party's USCC (characters 3-8)."""
        if self.bureau is not None:
            return self.bureau
        agency = values.get("agency")
        if agency is not None and agency.bureau is not None:
            return agency.bureau
        uscc = values.get("party_uscc") or values.get("agency_uscc")
        bureau = self._bureau_of_uscc(uscc) if uscc else None
        if bureau is None:
            self.error(row_no, getattr(self.dataset, "agency_key", ""), _(
                "无法确定负责该记录的监管部门：当事人未在登记簿中登记，统一社会信用代码也未指明"
                "本平台监管范围内的登记机关。请用 --bureau 指定监管部门后再导入"))
        return bureau

    def _bureau_of_uscc(self, uscc: str) -> Bureau | None:
        code = uscc[2:8]
        if code not in self._bureaus:
            current = divisions.successor_of(code) if divisions.is_code(code) else None
            self._bureaus[code] = divisions.bureau_for_division(current) if current else None
        return self._bureaus[code]


def _status_problem(kind: Dataset, values: dict, current: str, status: str) -> str | None:
    """Why a row may not move a record from ``current`` to ``status`` (None: it may)."""
    if current != "published":
        return _("该记录已是“%(status)s”，不能通过导入改为其他公示状态",
                 status=_status_word(current))
    if status == "repaired":
        if kind.key != "penalty":
            return _("只有行政处罚信息可以信用修复")
        if set(values.get("penalty_kinds", "").split("、")) & NOT_REPAIRABLE_KINDS:
            return _("吊销执业许可证的处罚信息不能信用修复")
        on = values.get("status_changed_at") or today_cn()
        allowed = repair_allowed_from(type("P", (), {"published_on": values["published_on"]}))
        if on < allowed:
            return _("公示满6个月后才能信用修复（%(d)s 起）", d=allowed.isoformat())
    return None


def _status_word(status: str) -> str:
    from .vocab import RECORD_STATUS_WORDING

    return str(RECORD_STATUS_WORDING.get(status, status))


def _read_rows(plan: ImportPlan, dataset: Dataset, table: list[list]):
    """The header and the data rows (numbered as a spreadsheet shows them), or None."""
    header_idx = _find_header(table, dataset)
    if header_idx is None:
        plan.errors.append(RowError(None, "", _("文件是空的")))
        return None
    skipped = [i + 1 for i in range(header_idx) if not _blank_row(table[i])]
    if skipped:
        plan.notes.append(_("表头在第 %(row)s 行；已跳过其上方的标题或说明（第 %(rows)s 行）",
                            row=header_idx + 1, rows="、".join(map(str, skipped))))
    plan.columns = _cells(table[header_idx])
    headers = _map_headers(plan, dataset, plan.columns, header_idx + 1)
    rows = [(n, r) for n, r in enumerate(table[header_idx + 1:], start=header_idx + 2)
            if not _blank_row(r)]
    return headers, rows


def plan_import(kind: str, path_or_file, filename: str | None = None, *, bureau=None,
                progress: Progress | None = None) -> ImportPlan:
    """Read and validate a file of ``kind``; nothing is written.  ``progress`` is called
    with (stage, done, total) while rows are checked."""
    plan = ImportPlan(kind=kind, filename=filename or (
        str(path_or_file) if isinstance(path_or_file, (str, Path)) else ""))
    try:
        dataset = kinds.dataset(kind)
        table = read_table(path_or_file, filename)
    except UnknownKind:
        plan.errors.append(RowError(None, "", _("未知的导入类型：%(kind)s", kind=kind)))
        return plan
    except ImportFileError as exc:
        plan.errors.append(RowError(None, "", str(exc)))
        return plan
    found = _read_rows(plan, dataset, table)
    del table
    if found is None or plan.errors:
        return plan
    headers, rows = found
    plan.rows = len(rows)
    if not rows:
        plan.notes.append(_("文件只有表头，没有数据行（0 行）：没有可导入的数据"))
        return plan
    if plan.rows > MAX_ROWS:
        plan.errors.append(RowError(None, "", _("文件超过 %(n)s 行，请拆分后导入", n=MAX_ROWS)))
        return plan
    planner = _Planner(plan, dataset, headers, bureau)
    planner.preload(rows)
    for done, (row_no, row) in enumerate(rows, 1):
        planner.add(row_no, row)
        if progress and (done % 1000 == 0 or done == plan.rows):
            progress("check", done, plan.rows)
    planner.sort_all(progress)
    return plan


# ---------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------

def _status_at(values: dict) -> dt.datetime | None:
    day = values.get("status_changed_at")
    return dt.datetime.combine(day, dt.time(12)) if day else None


def _apply_status(record: Any, item: PlannedRow, actor) -> None:
    reason = item.values.get("status_reason") or ""
    if item.status == "withdrawn":
        services.withdraw_record(record, reason, actor=actor, at=_status_at(item.values))
    elif item.status == "repaired":
        services.repair_record(record, reason, actor=actor, at=_status_at(item.values),
                               on=item.values.get("status_changed_at"))


def apply_import(plan: ImportPlan, *, actor=None, bureau=None,
                 progress: Progress | None = None) -> ImportPlan:
    """Write a valid plan, all or nothing (a savepoint); flushes, the caller commits.
    Every change is recorded in the history as made through this file."""
    if not plan.ok:
        raise ValidationError({"file": _("文件有错误，未导入任何数据")})
    if plan.applied:
        return plan
    dataset = kinds.dataset(plan.kind)
    fields = update_fields(dataset, plan.fields)
    source = Path(plan.filename).name if plan.filename else None
    with db.session.begin_nested(), services.changes_via("import", source):
        if isinstance(dataset, RecordKind):
            _apply_records(plan, dataset, fields, actor, progress)
        elif dataset is kinds.AGENT:  # issue 14 — patent agents (the practice history rule)
            from .agents import save_agent

            for item in plan.creates:
                save_agent(item.values, actor=actor)
            for item in plan.updates:
                save_agent(item.values, actor=actor, fields=fields, agent=item.existing)
        else:
            for item in plan.creates:
                services.save_agency(item.values, actor=actor)
            for item in plan.updates:
                services.save_agency(item.values, actor=actor, fields=fields)
    db.session.flush()
    plan.applied = True
    return plan


def _apply_records(plan: ImportPlan, kind: RecordKind, fields: set[str], actor,
                   progress: Progress | None) -> None:
    total = len(plan.creates) + len(plan.updates)
    done = 0
    for start in range(0, len(plan.creates), BATCH):
        batch = plan.creates[start:start + BATCH]
        services.create_records(kind.key, [(i.values, i.bureau) for i in batch], actor=actor)
        for item in batch:
            if item.status:
                _apply_status(kind.find_existing(item.values), item, actor)
        done += len(batch)
        if progress:
            progress("write", done, total)
    for item in plan.updates:
        record = item.existing
        if item.changes.keys() - {"status", "bureau"}:
            services.update_fields(record, item.values, fields, actor=actor)
        if "bureau" in item.changes:
            record.bureau = item.bureau
        if item.status:
            _apply_status(record, item, actor)
        done += 1
        if progress and (done % 1000 == 0 or done == total):
            progress("write", done, total)


__all__ = [
    "ImportFileError",
    "ImportPlan",
    "PlannedRow",
    "RowError",
    "apply_import",
    "plan_import",
    "read_table",
]
