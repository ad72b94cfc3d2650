"""Synonyms applied at query time, from a CSV file an administrator edits.

The file (``SEARCH_SYNONYMS``, default ``search/synonyms.csv``) has two columns,
``term`` and ``means``: a query word or phrase, and one or more phrases (separated by
``|``) that a query holding it also finds.  It is re-read when its modification
time changes, so an edit takes effect on the next query without a restart or a
reindex; ``portal search synonyms`` checks it and lists what it holds.
"""

from __future__ import annotations

import csv
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .text import normalize

log = logging.getLogger(__name__)
DEFAULT_PATH = Path(__file__).resolve().parent / "synonyms.csv"
MAX_TERM_CHARS = 40


@dataclass
class Synonyms:
    table: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def expand(self, chunk: str) -> list[tuple[str, list[str]]]:
        """(term, phrases it means) for every term of the table found in ``chunk``,
        longest first, without overlaps."""
        found: list[tuple[str, list[str]]] = []
        taken: list[tuple[int, int]] = []
        for term in sorted(self.table, key=len, reverse=True):
            start = chunk.find(term)
            if start < 0:
                continue
            end = start + len(term)
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            found.append((term, self.table[term]))
        return found


def parse(lines) -> Synonyms:
    """The synonyms of CSV ``lines``; bad rows are reported in ``problems`` and skipped."""
    out = Synonyms()
    rows = csv.reader(line for line in lines if line.strip() and not line.lstrip().startswith("#"))
    for lineno, row in enumerate(rows, start=1):
        if lineno == 1 and [c.strip().lower() for c in row[:2]] == ["term", "means"]:
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            out.problems.append(f"row {lineno}: expected 'term,means', got {row!r}")
            continue
        term = " ".join(normalize(row[0]).split())
        means = [" ".join(normalize(m).split()) for m in row[1].split("|")]
        means = [m for m in means if m and m != term]
        if len(term) > MAX_TERM_CHARS or not means:
            out.problems.append(f"row {lineno}: term too long or nothing it means: {row!r}")
            continue
        out.table.setdefault(term, [])
        out.table[term] += [m for m in means if m not in out.table[term]]
    return out


class SynonymFile:
    """The synonyms of one file, re-read when the file changes (checked on each use)."""

    def __init__(self, path: str | os.PathLike | None):
        self.path = Path(path) if path else DEFAULT_PATH
        self._lock = threading.Lock()
        self._sig: tuple[int, int] | None = None
        self._value = Synonyms()

    def get(self) -> Synonyms:
        try:
            st = os.stat(self.path)
        except OSError:
            return Synonyms()
        sig = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if sig != self._sig:
                try:
                    with open(self.path, encoding="utf-8-sig") as fh:
                        value = parse(fh.read().splitlines())
                except (OSError, UnicodeDecodeError) as exc:
                    log.error("search: cannot read synonyms %s: %s", self.path, exc)
                    value = Synonyms(problems=[str(exc)])
                for problem in value.problems:
                    log.warning("search: synonyms %s: %s", self.path, problem)
                self._value, self._sig = value, sig
            return self._value
