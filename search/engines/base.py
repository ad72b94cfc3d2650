"""The engine interface, and the on-disk layout every engine shares.

Layout of ``SEARCH_INDEX_DIR``::

    CURRENT          name of the generation readers use (replaced atomically)
    gen-<stamp>/     one complete index (engine specific files)
    write.lock       fcntl.flock'ed by whoever writes (one writer at a time,
                     across processes: gunicorn workers, the CLI, tests)
    journal          keys written since the last rebuild began (append only)

Writers take the lock, write and commit, append the keys to the journal and
release the lock.  ``rebuild`` builds a new generation WITHOUT the lock (the
site keeps answering and publishing from the current one), then takes the lock,
replays the keys written meanwhile (from the journal, re-read from the
database), points ``CURRENT`` at the new generation with ``os.replace`` and
drops generations older than the previous one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

FACETS = ("kind", "region", "grade", "penalty_kinds", "active")
_LETTERS = re.compile(r"[a-z]{2,30}")


def word_clauses(word: str, bigrams: list[str],
                 names_only: bool = False) -> list[tuple[str, str, Any, float]]:
    """How one query word is looked for, and what each field weighs: one plan for every
    engine.  Items are (kind, field, value, boost) with kind "term" or "phrase"."""
    clauses: list[tuple[str, str, Any, float]] = [
        ("term", "name", word, 4.0), ("term", "former", word, 2.5)]
    if _LETTERS.fullmatch(word):  # pinyin or initials of a name (zexin, tyzx)
        clauses.append(("term", "name_py", word, 3.0))
    if bigrams:
        clauses.append(("phrase", "name_bg", bigrams, 3.0))
    if not names_only:
        clauses.append(("term", "body", word, 1.0))
        if bigrams:
            clauses.append(("phrase", "body_bg", bigrams, 0.8))
    return clauses


@dataclass
class Filters:
    today: int
    kinds: tuple[str, ...] = ()
    region: str | None = None
    date_from: int | None = None
    date_to: int | None = None
    grades: tuple[str, ...] = ()
    penalty_kinds: tuple[str, ...] = ()
    active: bool = False
    group: str | None = None  # one agency's documents ("a<id>"), or one record's key

    def without(self, facet: str) -> Filters:
        """These filters minus the one a facet selects (facets count disjunctively)."""
        values = dict(self.__dict__)
        if facet == "kind":
            values["kinds"] = ()
        elif facet == "grade":
            values["grades"] = ()
        elif facet == "penalty_kinds":
            values["penalty_kinds"] = ()
        elif facet == "active":
            values["active"] = False
        # region: counted WITH the region filter, to drill down to its children
        return Filters(**values)

    def selects(self, facet: str) -> bool:
        return {
            "kind": bool(self.kinds), "grade": bool(self.grades),
            "penalty_kinds": bool(self.penalty_kinds), "active": self.active,
        }.get(facet, False)


@dataclass
class SearchRequest:
    query: object  # text.ParsedQuery
    filters: Filters
    sort: str = "relevance"  # or "date"
    offset: int = 0
    limit: int = 20
    facets: bool = True
    names_only: bool = False  # match names and former names only (autocomplete)
    # Also count the distinct groups of every match (SearchResult.group_total), in the
    # same pass as the facets when the engine can; engines may ignore it (None).
    count_groups: bool = False
    # Also count per kind the matching documents of the first ``kinds_of_top`` distinct
    # groups of the hits and of the groups ``kinds_of`` (SearchResult.group_kinds), when
    # the hits do not hold every match; engines may ignore it (None).
    kinds_of_top: int = 0
    kinds_of: tuple[str, ...] = ()


@dataclass
class SearchResult:
    keys: list[str]
    total: int
    # facet -> value -> count.  "region" must hold at least the provinces (no
    # region selected) or the divisions below the selected one; an engine may
    # return other levels too (the service keeps only the level it shows).
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)  # the group of each key, in order
    group_total: int | None = None  # distinct groups among all matches, if counted
    # group -> kind -> matching documents, for every group counted (see kinds_of_top)
    group_kinds: dict[str, dict[str, int]] | None = None


# A name plan: alternatives (any), each a list of clauses (all), each clause
# (kind, field, value) with kind "term" or "fuzzy" (edit distance 1, no transpositions).
NamePlan = list[list[tuple[str, str, str]]]


@dataclass
class GroupStats:
    total: int  # distinct groups among all matches
    kinds: dict[str, dict[str, int]]  # group -> kind -> matching documents (asked groups only)


class Engine:
    """add/update/delete documents; query -> keys, total, facet counts."""

    name = "base"
    segmenter_flavour = "rjieba"

    def __init__(self, index_dir: str):
        self.root = os.path.abspath(index_dir)
        self._tlock = threading.RLock()
        self._cache_lock = threading.Lock()

    # -- layout -------------------------------------------------------------
    @property
    def current_file(self) -> str:
        return os.path.join(self.root, "CURRENT")

    def current_generation(self) -> str | None:
        try:
            with open(self.current_file, encoding="ascii") as fh:
                name = fh.read().strip()
        except FileNotFoundError:
            return None
        return name or None

    def gen_path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def index_version(self) -> str:
        """What a search answers from now, as a short string that changes with every commit
        (and rebuild) of this host's index: the generation, its folder's modification time
        (the engines' commits create or rename files in it) and the write journal's size.
        Pages rendered from the index are cached under it (portal.register.caching)."""
        name = self.current_generation()
        if name is None:
            return "none"
        parts = [name]
        for path in (self.gen_path(name), os.path.join(self.root, "journal")):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                parts.append("-")
                continue
            parts.append(f"{st.st_mtime_ns:x}.{st.st_size:x}")
        return ":".join(parts)

    @contextlib.contextmanager
    def write_lock(self):
        """One writer at a time, across threads and processes."""
        os.makedirs(self.root, exist_ok=True)
        with self._tlock, open(os.path.join(self.root, "write.lock"), "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _new_generation_name(self) -> str:
        return f"gen-{time.time_ns()}-{os.getpid()}"

    def _point_to(self, name: str) -> None:
        tmp = self.current_file + f".{os.getpid()}.tmp"
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(name)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.current_file)

    def ensure_index(self) -> str:
        """The current generation, created empty if there is none (call under the lock)."""
        name = self.current_generation()
        if name and os.path.isdir(self.gen_path(name)):
            return name
        name = self._new_generation_name()
        self._create(self.gen_path(name))
        self._point_to(name)
        return name

    # -- writing ------------------------------------------------------------
    def write(self, upserts: list[dict], deletes: list[str]) -> None:
        """Replace/add analysed documents and delete keys, committed when this returns."""
        if not upserts and not deletes:
            return
        with self.write_lock():
            name = self.ensure_index()
            self._write(self.gen_path(name), upserts, deletes)
            with open(os.path.join(self.root, "journal"), "a", encoding="utf-8") as fh:
                fh.write("".join(f"{d['key']}\n" for d in upserts))
                fh.write("".join(f"{k}\n" for k in deletes))

    def rebuild(self, documents: Iterable[Any], reload_keys: Callable[[list[str]], dict]) -> int:
        """Build a new generation from ``documents`` (analysed, each in :meth:`bulk_form`)
        and swap it in; returns the count.

        ``reload_keys(keys) -> {key: analysed doc or None}`` re-reads the rows
        written while the build ran.
        """
        os.makedirs(self.root, exist_ok=True)
        journal = os.path.join(self.root, "journal")
        with self.write_lock():
            self.ensure_index()
            offset = os.path.getsize(journal) if os.path.exists(journal) else 0
        name = self._new_generation_name()
        path = self.gen_path(name)
        try:
            count = self._bulk_load(path, documents)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)  # never served: the current one stays
            raise
        with self.write_lock():
            source = journal if os.path.exists(journal) else os.devnull
            with open(source, encoding="utf-8") as fh:
                fh.seek(offset)
                keys = sorted({line.strip() for line in fh if line.strip()})
            if keys:
                docs = reload_keys(keys)
                self._write(path, [d for d in docs.values() if d],
                            [k for k, d in docs.items() if d is None])
            previous = self.current_generation()
            self._point_to(name)
            open(journal, "w").close()
            self._drop_old_generations(keep={name, previous})
        return count

    def _drop_old_generations(self, keep: set) -> None:
        for entry in os.listdir(self.root):
            if entry.startswith("gen-") and entry not in keep:
                shutil.rmtree(self.gen_path(entry), ignore_errors=True)

    # -- engine specific ------------------------------------------------------
    def _create(self, path: str) -> None:
        raise NotImplementedError

    def _write(self, path: str, upserts: list[dict], deletes: list[str]) -> None:
        raise NotImplementedError

    @staticmethod
    def bulk_form(doc: dict) -> Any:
        """The form in which a rebuild hands an analysed document to :meth:`_bulk_load`.
        Worked out in the rebuild's worker processes (so: a module-level function whose
        result is cheap to send between processes); by default the document itself."""
        return doc

    def _bulk_load(self, path: str, documents: Iterable[Any]) -> int:
        """Index ``documents`` (each in :meth:`bulk_form`) into a new index at ``path``."""
        raise NotImplementedError

    def search(self, request: SearchRequest) -> SearchResult:
        raise NotImplementedError

    def find_identifier(self, ident: str, today: int) -> list[str]:
        """Keys of public documents whose identifier (canonical form) is ``ident``."""
        raise NotImplementedError

    def groups_matching(self, plan: NamePlan, filters: Filters, limit: int = 50) -> list[str]:
        """Distinct groups of the documents matching a name plan (and the filters)."""
        raise NotImplementedError

    def group_stats(self, request: SearchRequest, groups: list[str],
                    total: bool = True) -> GroupStats:
        """How many groups match ``request`` (0 when ``total`` is False: not counted),
        and per kind counts for ``groups``."""
        raise NotImplementedError

    def stamps(self) -> dict[str, str]:
        """key -> stamp of every document in the current index (for ``check``)."""
        raise NotImplementedError

    def forget_counts(self) -> None:
        """Drop remembered counts (an engine may remember them per index commit; a
        benchmark calls this to measure a query asked for the first time)."""

    def size_bytes(self) -> int:
        name = self.current_generation()
        if not name:
            return 0
        total = 0
        for dirpath, _dirs, files in os.walk(self.gen_path(name)):
            for f in files:
                with contextlib.suppress(OSError):
                    total += os.path.getsize(os.path.join(dirpath, f))
        return total


class NullEngine(Engine):
    """SEARCH_ENGINE=none: nothing is indexed and every search finds nothing."""

    name = "none"

    def write(self, upserts, deletes) -> None:
        return None

    def rebuild(self, documents, reload_keys) -> int:
        return 0

    def search(self, request: SearchRequest) -> SearchResult:
        return SearchResult(keys=[], total=0, facets={})

    def find_identifier(self, ident: str, today: int) -> list[str]:
        return []

    def groups_matching(self, plan, filters, limit=50) -> list[str]:
        return []

    def group_stats(self, request, groups, total=True) -> GroupStats:
        return GroupStats(total=0, kinds={})

    def stamps(self) -> dict[str, str]:
        return {}

    def size_bytes(self) -> int:
        return 0
