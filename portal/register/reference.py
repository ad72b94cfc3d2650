"""Reference data: divisions (GB/T 2260) and the bureaus the portal serves.

Both are data files under ``portal/data/`` (or a file the operator names),
loaded idempotently: running the loader again updates rows in place.  Questions
about the division tree (covering bureau, full names) are ``divisions``'.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..extensions import db
from .divisions import DEPTH, DISTRICT, is_code, level_by_shape, lineage
from .models import Bureau, Division

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# Suffixes that change when a county becomes a district or a city (屯留县 → 屯留区).
_NAME_SUFFIXES = ("自治县", "林区", "地区", "县", "区", "市", "旗", "盟")


@dataclass
class DivisionReport:
    """What loading a division table changed (or would change)."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (code, old, new)
    # (code, name, successor)
    retired: list[tuple[str, str, str | None]] = field(default_factory=list)
    rows: int = 0


def _division_rows(path: Path | str) -> list[tuple[str, str, str | None, str | None]]:
    """(code, name, level, parent) from a division table: CSV or XLSX with the columns
    code/行政区划代码 and name/单位名称/名称 (level and parent_code optional), as the
    Ministry of Civil Affairs publishes it; title rows above the header are skipped."""
    from .importer import ImportFileError, read_table

    try:
        table = read_table(Path(path))
    except ImportFileError as exc:
        raise ValueError(str(exc)) from None
    start, found = _division_header(table)
    out = []
    for row in table[start + 1:]:
        def cell(key, row=row):
            j = found[key]
            value = row[j] if j is not None and j < len(row) else None
            return str(value).strip() if value not in (None, "") else None
        code = (cell("code") or "").split(".")[0]
        if len(code) == 12 and code.endswith("000000"):
            code = code[:6]
        name = (cell("name") or "").replace("\u3000", "").replace("*", "").strip()
        if not is_code(code) or not name:
            continue
        out.append((code, name, cell("level"), cell("parent_code")))
    return out


_DIVISION_COLUMNS = {"code": ("code", "行政区划代码", "区划代码", "代码"),
                     "name": ("name", "单位名称", "名称", "区划名称"),
                     "level": ("level",), "parent_code": ("parent_code",)}


def _division_header(table: list[list]) -> tuple[int, dict[str, int | None]]:
    """The header row of a division table and the index of each known column."""
    for index, row in enumerate(table):
        cells = [str(v or "").strip().lstrip("\ufeff") for v in row]
        found = {k: next((cells.index(a) for a in names if a in cells), None)
                 for k, names in _DIVISION_COLUMNS.items()}
        if found["code"] is not None and found["name"] is not None:
            return index, found
    raise ValueError("区划表中找不到“行政区划代码”和“单位名称”（或 code、name）列")


def _parent(code: str, known: set[str]) -> str | None:
    parents = [c for c in lineage(code, known) if c != code]
    return parents[-1] if parents else None


def _stem(name: str) -> str:
    for suffix in _NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _guess_successor(code: str, name: str, added: dict[str, str]) -> str | None:
    """A division added in the same city under the same name stem (屯留县 → 屯留区)."""
    same = [c for c, n in added.items() if c[:4] == code[:4] and _stem(n) == _stem(name)]
    return same[0] if len(same) == 1 else None


def read_changes(path: Path | str | None) -> dict[str, tuple[str, str]]:
    """code -> (name, successor code) from a changes CSV (code,name,successor_code,note)."""
    path = Path(path) if path else DATA_DIR / "division_changes.csv"
    if not path.exists():
        return {}
    return {r["code"].strip(): (r["name"].strip(), (r.get("successor_code") or "").strip())
            for r in _read_csv(path)}


def update_divisions(path: Path | str | None = None, changes: Path | str | None = None, *,
                     apply: bool = True) -> DivisionReport:
    """Load a division table (the current one; default: the shipped table).

    Codes in the file are current (added, renamed or reinstated); current codes missing
    from it are retired, with their successor from ``changes`` (code,name,successor_code)
    or, failing that, a division added in the same city with the same name stem.  Retired
    codes stay in the table so old records and addresses still resolve.
    """
    rows = _division_rows(Path(path) if path else DATA_DIR / "divisions.csv")
    successors = read_changes(changes)
    known = {code for code, *_rest in rows}
    existing = {d.code: d for d in db.session.scalars(db.select(Division))}
    report = DivisionReport(rows=len(rows))
    for code, name, level, parent in rows:
        division = existing.get(code)
        if division is None or division.retired:
            report.added.append((code, name))
        elif division.name != name:
            report.renamed.append((code, division.name, name))
        if apply:
            division = division or Division(code=code)
            division.name, division.retired, division.successor_code = name, False, None
            division.level = level or level_by_shape(code)
            division.parent_code = parent or _parent(code, known)
            db.session.add(division)
    if apply:
        _add_retired(successors, existing, known)
    _retire_missing(report, successors, existing, known, apply)
    db.session.flush()
    return report


def _add_retired(successors, existing, known) -> None:
    """Retired codes listed in the changes file that the table does not hold yet."""
    for code, (name, successor) in successors.items():
        if code not in existing and code not in known:
            db.session.add(Division(code=code, name=name, level=level_by_shape(code),
                                    parent_code=_parent(code, known), retired=True,
                                    successor_code=successor or None))


def _retire_missing(report: DivisionReport, successors, existing, known, apply: bool) -> None:
    """Current codes missing from the new table are retired, with their successor."""
    added = dict(report.added)
    for code, division in sorted(existing.items()):
        if code in known:
            continue
        successor = successors.get(code, ("", ""))[1] or division.successor_code \
            or _guess_successor(code, division.name, added)
        if not division.retired:
            report.retired.append((code, division.name, successor))
        if apply:
            division.retired, division.successor_code = True, successor or None


def load_divisions(path: Path | str | None = None) -> int:
    """Load the shipped division table (or ``path``) with the shipped retired codes."""
    return update_divisions(path).rows


def load_bureaus(path: Path | str | None = None) -> int:
    """Bureaus CSV columns: code,name,phone,address,active.  Parents follow the division tree."""
    rows = _read_csv(Path(path) if path else DATA_DIR / "bureaus.csv")
    divisions = {d.code: d for d in db.session.scalars(
        db.select(Division).where(Division.retired.is_(False)))}
    by_code = {b.code: b for b in db.session.scalars(db.select(Bureau))}
    for row in sorted(rows, key=lambda r: (_level_rank(divisions, r["code"]), r["code"])):
        code = row["code"].strip()
        division = divisions.get(code)
        if division is None:
            raise ValueError(f"bureau {code}: not a known division code")
        bureau = by_code.get(code) or Bureau(code=code)
        bureau.name = row["name"].strip()
        bureau.level = division.level
        bureau.phone = (row.get("phone") or "").strip() or None
        bureau.address = (row.get("address") or "").strip() or None
        bureau.active = (row.get("active") or "1").strip() not in ("0", "false", "no")
        bureau.parent = _nearest_parent(division, divisions, by_code)
        db.session.add(bureau)
        by_code[code] = bureau
    db.session.flush()
    return len(rows)


def _level_rank(known, code):
    return DEPTH[known[code].level] if code in known else DEPTH[DISTRICT]


def _nearest_parent(division, divisions, by_code):
    code = division.parent_code
    while code:
        if code in by_code:
            return by_code[code]
        parent = divisions.get(code)
        code = parent.parent_code if parent else None
    return None
