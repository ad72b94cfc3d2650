"""A shortlist, one line per bidder, matched to the register.

Each line is a USCC or a name.  A valid USCC matches exactly; a name matches an agency's
current name, then its former names or the normalized name (``search.names.identity_key``:
brackets, width, spaces and a trailing legal form make no difference — through the search
index, the same key the search page's identity tier uses).  Several agencies for one line:
the person picks; none: the line says so and suggests names (``search.suggest_agencies``).

Nothing here stores the lines or the file they came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..register.importer import ImportFileError, read_table
from ..register.models import Agency, AgencyFormerName
from ..timeutil import today as today_cn

MAX_LINES = 500
MAX_LINE_CHARS = 200
SUGGESTED_LINES = 30  # unmatched lines that get suggestions (each costs a search)
SUGGESTIONS = 3
MATCHED, AMBIGUOUS, UNMATCHED = "matched", "ambiguous", "unmatched"
_USCC_LIKE = re.compile(r"^[0-9A-Z]{18}$")
_SPACES = re.compile(r"[\s\-‐－]+")
USCC_HEADERS = ("统一社会信用代码", "信用代码", "社会信用代码", "uscc", "credit code")
NAME_HEADERS = ("机构名称", "单位名称", "名称", "投标人", "供应商", "代理机构", "name")


class ShortlistError(Exception):
    """The input cannot be read (a message for the person)."""


@dataclass
class Line:
    no: int  # 1-based, in the order given
    text: str
    status: str = UNMATCHED
    agency: Agency | None = None
    how: str = ""  # uscc / name / former / normalized / picked
    candidates: list[Agency] = field(default_factory=list)  # ambiguous: pick one
    suggestions: list[Agency] = field(default_factory=list)  # unmatched: did you mean
    note: str = ""
    duplicate_of: int | None = None  # the line that already named this agency


# -- reading -------------------------------------------------------------------------

def lines_from_text(text: str) -> list[str]:
    out = []
    for raw in (text or "").splitlines():
        line = raw.strip().strip("\ufeff").strip()
        if line:
            out.append(line[:MAX_LINE_CHARS])
    if len(out) > MAX_LINES:
        raise ShortlistError(_("最多核查 %(n)s 行，请分批核查。", n=MAX_LINES))
    return out


def _cell(value) -> str:
    return "" if value is None else str(value).strip()


def _column(header: list[str], wanted: tuple[str, ...]) -> int | None:
    for i, h in enumerate(header):
        low = h.lower()
        if any(w in low for w in wanted):
            return i
    return None


def lines_from_table(rows: list[list]) -> list[str]:
    """A tender's table: the USCC column where a row has one, else the name column; with no
    recognisable header, the first non-empty cell of each row."""
    rows = [[_cell(c) for c in r] for r in rows if any(_cell(c) for c in r)]
    if not rows:
        return []
    header = rows[0]
    uscc_col, name_col = _column(header, USCC_HEADERS), _column(header, NAME_HEADERS)
    out = []
    if uscc_col is None and name_col is None:
        out = [next(c for c in r if c) for r in rows]
    else:
        for r in rows[1:]:
            uscc = r[uscc_col] if uscc_col is not None and uscc_col < len(r) else ""
            name = r[name_col] if name_col is not None and name_col < len(r) else ""
            if uscc or name:
                out.append(uscc or name)
    return lines_from_text("\n".join(out))


def lines_from_upload(raw: bytes, filename: str) -> list[str]:
    """Lines of an uploaded CSV or XLSX (read in memory, never stored)."""
    try:
        rows = read_table(raw, filename)
    except ImportFileError as exc:
        raise ShortlistError(str(exc)) from None
    return lines_from_table(rows)


# -- matching --------------------------------------------------------------------------

def _compact(text: str) -> str:
    from search.text import normalize

    return _SPACES.sub("", normalize(text)).upper()


def _load(ids) -> dict[int, Agency]:
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(list(ids))))}


def _identity_ids(text: str) -> list[int]:
    """Agencies whose current or former name has the line's identity key (search index)."""
    from search import get_engine
    from search.documents import ymd
    from search.engines.base import Filters
    from search.grouping import identity_groups

    if get_engine().name == "none":
        return []
    filters = Filters(today=ymd(today_cn()), kinds=("agency",))
    return [int(g[1:]) for g in identity_groups(text, filters) if g.startswith("a")]


def _by_uscc(lines: list[Line]) -> None:
    from search.names import uscc_is_valid, uscc_problem

    wanted = {}
    for line in lines:
        code = _compact(line.text)
        if not _USCC_LIKE.match(code):
            continue
        if uscc_is_valid(code):
            wanted.setdefault(code, []).append(line)
            line.how = "uscc"
        elif (problem := uscc_problem(code)) is not None:
            line.note = _("统一社会信用代码校验位错误，正确的可能是 %(code)s", code=problem[1])
            line.how = "bad-uscc"
    found = {a.uscc: a for a in db.session.scalars(
        select(Agency).where(Agency.uscc.in_(list(wanted))))} if wanted else {}
    for code, group in wanted.items():
        for line in group:
            if code in found:
                line.status, line.agency = MATCHED, found[code]
            else:
                line.note = _("登记中没有这个统一社会信用代码")


def _by_name(lines: list[Line]) -> None:
    texts = {line.text for line in lines}
    if not texts:
        return
    current: dict[str, list[Agency]] = {}
    for a in db.session.scalars(select(Agency).where(Agency.name.in_(texts))):
        current.setdefault(a.name, []).append(a)
    former: dict[str, set[int]] = {}
    for name, agency_id in db.session.execute(
            select(AgencyFormerName.name, AgencyFormerName.agency_id)
            .where(AgencyFormerName.name.in_(texts))):
        former.setdefault(name, set()).add(agency_id)
    for line in lines:
        exact = current.get(line.text, [])
        if len(exact) == 1:
            line.status, line.agency, line.how = MATCHED, exact[0], "name"
            continue
        ids = {a.id for a in exact} or set(former.get(line.text, set()))
        ids.update(_identity_ids(line.text) if not exact else [])
        agencies = sorted(_load(ids).values(), key=lambda a: (a.name, a.id))
        if len(agencies) == 1:
            line.status, line.agency = MATCHED, agencies[0]
            line.how = "former" if line.text in former else "normalized"
        elif agencies:
            line.status, line.candidates = AMBIGUOUS, agencies


def _suggest(lines: list[Line]) -> None:
    from search import suggest_agencies

    for line in [x for x in lines if x.status == UNMATCHED][:SUGGESTED_LINES]:
        if line.how == "bad-uscc":
            continue
        line.suggestions = suggest_agencies(line.text, SUGGESTIONS)


def _apply_picks(lines: list[Line], picks: dict[int, str]) -> None:
    """A person's choice: for an ambiguous line one of its candidates; for a line not found,
    the agency picked from the suggestions (any registered agency: it is the same as typing
    its USCC)."""
    wanted = {code for no, code in picks.items() if code}
    if not wanted:
        return
    found = {a.uscc: a for a in db.session.scalars(
        select(Agency).where(Agency.uscc.in_(list(wanted))))}
    for line in lines:
        chosen = found.get(picks.get(line.no, ""))
        if chosen is None or line.status == MATCHED:
            continue
        if line.status == UNMATCHED or chosen in line.candidates:
            line.status, line.agency, line.how = MATCHED, chosen, "picked"


def match_lines(texts: list[str], picks: dict[int, str] | None = None, *,
                suggest: bool = True) -> list[Line]:
    """Match every line; ``suggest``: look up names for the lines not found (the page needs
    them, a download or a report does not)."""
    lines = [Line(no, text) for no, text in enumerate(texts, 1)]
    _by_uscc(lines)
    _by_name([x for x in lines if x.status == UNMATCHED and not x.how])
    _apply_picks(lines, picks or {})
    if suggest:
        _suggest(lines)
    seen: dict[int, int] = {}
    for line in lines:
        if line.agency is not None:
            line.duplicate_of = seen.get(line.agency.id)
            seen.setdefault(line.agency.id, line.no)
    return lines


def parse_picks(form) -> dict[int, str]:
    picks = {}
    for key, value in form.items():
        if key.startswith("pick-") and key[5:].isdigit() and value:
            picks[int(key[5:])] = value.strip().upper()
    return picks
