"""Reference data: divisions (GB/T 2260) and the bureaus the portal serves.

Both are data files under ``portal/data/`` (or a file the operator names),
loaded idempotently: running the loader again updates rows in place.  Questions
about the division tree (covering bureau, full names) are ``divisions``'.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..extensions import db
from .divisions import DEPTH, DISTRICT
from .models import Bureau, Division

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def load_divisions(path: Path | str | None = None) -> int:
    rows = _read_csv(Path(path) if path else DATA_DIR / "divisions.csv")
    existing = {d.code: d for d in db.session.scalars(db.select(Division))}
    for row in rows:
        division = existing.get(row["code"]) or Division(code=row["code"])
        division.name = row["name"]
        division.level = row["level"]
        division.parent_code = row["parent_code"] or None
        db.session.add(division)
    db.session.flush()
    return len(rows)


def load_bureaus(path: Path | str | None = None) -> int:
    """Bureaus CSV columns: code,name,phone,address,active.  Parents follow the division tree."""
    rows = _read_csv(Path(path) if path else DATA_DIR / "bureaus.csv")
    divisions = {d.code: d for d in db.session.scalars(db.select(Division))}
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
