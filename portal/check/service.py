"""The comparison basket, the shortlist check's table and its downloads, and the
snapshots that reports store.  Read-only: nothing here writes, except ``issue`` (a report)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..register import assessment, vocab
from ..register.models import Agency
from ..security import neutralize_row
from ..timeutil import to_china, utcnow
from .matching import AMBIGUOUS, MATCHED, Line

COMPARE_MAX = 4
_USCC = re.compile(r"^[0-9A-Z]{18}$")

HOW_LABELS = {
    "uscc": _l("统一社会信用代码一致"),
    "name": _l("名称一致"),
    "former": _l("曾用名一致"),
    "normalized": _l("名称一致（忽略括号、空格和组织形式）"),
    "picked": _l("由您选择"),
}
STATUS_LABELS = {MATCHED: _l("已匹配"), AMBIGUOUS: _l("需要选择"), "unmatched": _l("未找到")}


def basket(values: list[str]) -> list[str]:
    """USCCs of the comparison (upper case, distinct, in order; at most COMPARE_MAX)."""
    out: list[str] = []
    for v in values:
        for part in (v or "").replace(",", " ").split():
            code = part.strip().upper()
            if _USCC.match(code) and code not in out:
                out.append(code)
    return out


def agencies_by_uscc(codes: list[str]) -> list[Agency]:
    if not codes:
        return []
    found = {a.uscc: a for a in db.session.scalars(select(Agency).where(Agency.uscc.in_(codes)))}
    return [found[c] for c in codes if c in found]


# -- the shortlist table ------------------------------------------------------------------

@dataclass
class CheckRow:
    line: Line
    facts: dict | None  # assessment.agency_facts of the matched agency


def check_rows(lines: list[Line]) -> list[CheckRow]:
    matched = []
    for line in lines:
        if line.agency is not None and line.agency not in matched:
            matched.append(line.agency)
    facts = {f["uscc"]: f for f in assessment.agency_facts(matched, full=False)}
    return [CheckRow(line, facts.get(line.agency.uscc) if line.agency else None)
            for line in lines]


def flag_counts(rows: list[CheckRow]) -> dict[str, int]:
    counts = {assessment.RED: 0, assessment.AMBER: 0, assessment.GREEN: 0}
    for r in rows:
        if r.facts:
            counts[r.facts["flag"]] += 1
    return counts


def _export_header() -> list[str]:
    return [_("行号"), _("输入内容"), _("匹配结果"), _("机构名称"), _("统一社会信用代码"),
            _("机构状态"), _("当前信用等级"), _("标志"), _("需要注意的情况"), _("匹配方式"),
            _("说明")]


def _export_row(r: CheckRow) -> list:
    line, f = r.line, r.facts
    status = str(STATUS_LABELS[line.status])
    if f is None:
        note = line.note
        if line.status == AMBIGUOUS:
            note = _("多家机构符合：") + "、".join(a.name for a in line.candidates)
        return [line.no, line.text, status, "", "", "", "", "", "", "", note]
    grade = f["grade"]["grade"] if f["grade"] else ""
    reasons = "；".join(assessment.signal_text(s) for s in f["signals"])
    note = _("与第 %(n)s 行是同一机构", n=line.duplicate_of) if line.duplicate_of else line.note
    return [line.no, line.text, status, f["name"], f["uscc"], vocab.label(f["status"]), grade,
            str(assessment.FLAG_LABELS[f["flag"]]), reasons, str(HOW_LABELS.get(line.how, "")),
            note]


def export_rows(rows: list[CheckRow]) -> list[list]:
    return [_export_header()] + [neutralize_row(_export_row(r)) for r in rows]


def csv_bytes(rows: list[CheckRow]) -> bytes:
    buf = io.StringIO()
    buf.write("\ufeff")
    csv.writer(buf).writerows(export_rows(rows))
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[CheckRow]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = _("核查结果")[:31]
    for row in export_rows(rows):
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFGHIJK", (6, 30, 10, 34, 22, 14, 12, 8, 60, 22, 30),
                          strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_name(ext: str) -> str:
    stamp = to_china(utcnow()).strftime("%Y%m%d-%H%M")
    return f"shortlist-check-{stamp}.{ext}"


# -- snapshots (what a report says) ---------------------------------------------------------

def check_snapshot(rows: list[CheckRow]) -> dict:
    """The matched agencies with their flags, and the numbers of the lines not matched; the
    lines as typed are not kept."""
    out_rows, unmatched = [], []
    for r in rows:
        if r.facts is None:
            unmatched.append(r.line.no)
        else:
            out_rows.append({"no": r.line.no, "how": r.line.how, "facts": r.facts,
                             "duplicate_of": r.line.duplicate_of})
    return {"lines": len(rows), "rows": out_rows, "unmatched": unmatched}
