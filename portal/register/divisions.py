"""The division tree (GB/T 2260): the one place that knows how division codes nest.

A division code has six digits: two for the province, two for the prefecture-level city,
two for the county or district.  Nobody else slices codes: ask this module for a
code's province, its lineage (province → city → itself), whether one division lies
within another, the SQL range of an area, the bureau that covers a division, and the
regions the portal serves (from the bureaus that exist, not from a list in code).

Municipalities (北京, 上海, 天津, 重庆) hang their districts directly under the
province (310115 → 310000): the lineage of such a code skips the city level, because
``lineage`` keeps only the codes that exist when it is given the known codes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from ..extensions import db

if TYPE_CHECKING:  # pragma: no cover
    from .models import Bureau

PROVINCE, CITY, DISTRICT = "province", "city", "district"
LEVELS = (PROVINCE, CITY, DISTRICT)
DEPTH = {PROVINCE: 0, CITY: 1, DISTRICT: 2}

_CODE = re.compile(r"\d{6}")


def is_code(value: object) -> bool:
    """True for a string of six digits (whether or not such a division exists)."""
    return isinstance(value, str) and _CODE.fullmatch(value) is not None


def province_of(code: str) -> str:
    """The province a division belongs to: 140105 → 140000."""
    return code[:2] + "0000"


def province_digits(code: str) -> str:
    """The two digits that name a division's province: 140105 → 14 (as in licence numbers)."""
    return code[:2]


def city_of(code: str) -> str:
    """The prefecture-level code a division would belong to: 140105 → 140100.

    For a province this is the province itself; for a municipality's district it is a
    code that does not exist (310115 → 310100): use ``lineage`` with known codes then.
    """
    return province_of(code) if code.endswith("0000") else code[:4] + "00"


def level_by_shape(code: str) -> str:
    """The level a code's shape says: xx0000 province, xxxx00 city, else district."""
    if code.endswith("0000"):
        return PROVINCE
    if code.endswith("00"):
        return CITY
    return DISTRICT


def lineage(code: str, known: Collection[str] | None = None) -> list[str]:
    """Codes from the province down to ``code`` (most general first, no repeats).

    With ``known`` (codes of existing divisions or bureaus), codes that do not exist
    are left out, except ``code`` itself.
    """
    out: list[str] = []
    for candidate in (province_of(code), city_of(code), code):
        if candidate in out:
            continue
        if known is not None and candidate != code and candidate not in known:
            continue
        out.append(candidate)
    return out


def same_province(a: str, b: str) -> bool:
    return a[:2] == b[:2]


def within(code: str, area: str, area_level: str | None = None) -> bool:
    """True if division ``code`` lies within division ``area`` (or is it)."""
    lo, hi = code_range(area, area_level)
    return lo <= code <= hi


def code_range(area: str, level: str | None = None) -> tuple[str, str]:
    """The lowest and highest code inside ``area`` (for an indexed SQL BETWEEN)."""
    level = level or level_by_shape(area)
    if level == PROVINCE:
        return area[:2] + "0000", area[:2] + "9999"
    if level == CITY:
        return area[:4] + "00", area[:4] + "99"
    return area, area


def sql_within(column, area: str, level: str | None = None):
    """A condition: ``column`` (a division code column) lies within ``area``.

    A range rather than LIKE 'xx%': BETWEEN uses the index on SQLite and PostgreSQL alike.
    """
    lo, hi = code_range(area, level)
    return column == area if lo == hi else column.between(lo, hi)


def covering_code(code: str, candidates: Iterable[str]) -> str | None:
    """The most specific of ``candidates`` (e.g. bureau codes) that covers ``code``."""
    found = set(candidates)
    for candidate in reversed(lineage(code)):
        if candidate in found:
            return candidate
    return None


def covering_bureau(code: str | None, bureaus: Mapping[str, Bureau]) -> Bureau | None:
    """The most specific bureau in ``bureaus`` (code → bureau) covering ``code``."""
    if not code:
        return None
    found = covering_code(code, bureaus)
    return bureaus[found] if found else None


# ---------------------------------------------------------------------------
# Database-backed questions
# ---------------------------------------------------------------------------

def bureau_for_division(code: str | None, *, active_only: bool = True) -> Bureau | None:
    """The most specific bureau covering a division: district, else city, else province."""
    from .models import Bureau

    if not code:
        return None
    query = db.select(Bureau).where(Bureau.code.in_(lineage(code)))
    if active_only:
        query = query.where(Bureau.active.is_(True))
    return covering_bureau(code, {b.code: b for b in db.session.scalars(query)})


def successor_of(code: str) -> str | None:
    """The division in force for ``code``: itself if current, else its successor's (the
    chain followed: 140203 → 140214), else None (unknown, or retired without successor)."""
    from .models import Division

    seen: set[str] = set()
    current = db.session.get(Division, code)
    while current is not None and current.retired and current.code not in seen:
        seen.add(current.code)
        current = db.session.get(Division, current.successor_code) \
            if current.successor_code else None
    return None if current is None or current.retired else current.code


def is_retired(code: str) -> bool:
    from .models import Division

    found = db.session.get(Division, code)
    return found is not None and found.retired


def path_name(code: str | None) -> str:
    """The full name of a division, province first (e.g. 山西省太原市小店区); '' for None."""
    from .models import Division

    if not code:
        return ""
    current = db.session.get(Division, code)
    if current is None:
        return code
    names = []
    while current is not None:
        names.append(current.name)
        current = db.session.get(Division, current.parent_code) if current.parent_code else None
    return "".join(reversed(names))


def area_condition(column, code: str | None):
    """Condition that ``column`` lies within the existing division ``code``; None if unknown."""
    from .models import Division

    if not code:
        return None
    division = db.session.get(Division, code)
    if division is None:
        return None
    return sql_within(column, code, division.level)


def served_regions() -> list[tuple[str, str, int]]:
    """(code, name, depth) of the regions the portal serves, in tree order.

    Data-driven from the bureaus: each province that has a bureau, and below it every
    division lying within a city- or district-level bureau's area.  (Henan serves only
    Xinxiang today because only Xinxiang has a bureau below the province.)
    """
    from .models import Bureau, Division

    bureaus = list(db.session.scalars(db.select(Bureau).where(Bureau.active.is_(True))))
    provinces = {province_of(b.code) for b in bureaus}
    areas = [b for b in bureaus if b.level != PROVINCE]
    conditions = [Division.code.in_(provinces)]
    conditions += [sql_within(Division.code, b.code, b.level) for b in areas]
    rows = db.session.scalars(db.select(Division).where(db.or_(*conditions),
                                                        Division.retired.is_(False))
                              .order_by(Division.code))
    return [(d.code, d.name, DEPTH.get(d.level, 2)) for d in rows]
