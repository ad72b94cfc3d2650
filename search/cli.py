"""``portal search rebuild`` and ``portal search check``."""

from __future__ import annotations

import collections
import contextlib
import gc
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from portal.extensions import db

from . import changes, get_engine, get_segmenter
from .documents import (
    KINDS,
    MODEL_OF_KIND,
    AgencyNames,
    RegionResolver,
    analyse,
    document_ranges,
    iter_documents,
    load_documents,
    range_documents,
)
from .engines.base import Engine
from .names import load_pinyin
from .text import segmenter

search_cli = AppGroup("search", help="Search index: rebuild, check; synonyms.")

PARALLEL_MIN_ROWS = 5_000  # below this, analysing in worker processes is not worth starting them
CHUNK = 500
IN_FLIGHT = 6  # chunks handed to workers ahead of use: bounded memory, workers never idle
WORKER_TEXT_CACHE = 100_000  # texts (and clauses) a worker remembers the terms of (~180 MB)
CHUNK_TIMEOUT = 600  # seconds one chunk may take in a worker before the rebuild gives up


class RebuildFailed(RuntimeError):
    """The rebuild stopped (an analysis worker died or hung); the served index is untouched."""


# What a forked analysis worker inherits from the rebuild that started it.
_inherited: dict = {}


def _start_worker() -> None:
    """In a new worker: its own database connections (the parent's stay the parent's),
    and a longer memory of texts already made into index terms."""
    _inherited["engine"].dispose(close=False)
    segmenter(_inherited["flavour"]).remember(WORKER_TEXT_CACHE)


def _analyse_range(where, form) -> list:
    """Read one range of rows and analyse its documents, each in the index's ``form``
    (in a worker process)."""
    seg = segmenter(_inherited["flavour"])  # inherited through fork: already loaded
    with _inherited["app"].app_context(), Session(_inherited["engine"]) as session:
        if "regions" not in _inherited:  # remembered for the worker's later ranges
            _inherited["regions"] = RegionResolver(session)
            _inherited["regions"].preload()
            _inherited["agencies"] = AgencyNames(session)
        regions, agencies = _inherited["regions"], _inherited["agencies"]
        regions.session = agencies.session = session
        return [form(analyse(d, seg))
                for d in range_documents(session, where, regions, agencies)]


def _row_count(session) -> int:
    import sqlalchemy as sa

    return sum(session.scalar(sa.select(sa.func.count()).select_from(MODEL_OF_KIND[k])) or 0
               for k in KINDS)


@contextlib.contextmanager
def _fewer_gc_passes():
    """Loading rows creates many short-lived ORM objects, all freed by reference
    counting; the cyclic collector's frequent passes over the growing heap cost
    ~15% of a rebuild.  Run it less often meanwhile (not never)."""
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], 50_000), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@contextlib.contextmanager
def analysis_pool(session, processes: int | None = None):
    """Worker processes that read and analyse the rows when the database is large, else None.

    Started (forked, with the segmenter and pinyin tables already loaded) before any index
    writer exists, so the children never inherit an engine's threads mid-work.
    Each opens its own database connections.
    """
    if processes is None:
        processes = min(2, os.cpu_count() or 1) if _row_count(session) >= PARALLEL_MIN_ROWS else 1
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    _inherited.update(app=current_app._get_current_object(),  # type: ignore[attr-defined]
                      engine=session.get_bind(), flavour=get_segmenter().flavour)
    # An executor, not multiprocessing.Pool: when a worker dies (killed for memory), the
    # pool reports it on the pending results instead of waiting for them forever.
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start_worker)
    try:
        try:  # fork the workers now, before an index writer's threads exist
            pool.submit(int).result(timeout=CHUNK_TIMEOUT)
        except (BrokenProcessPool, FutureTimeout) as exc:
            raise RebuildFailed("the analysis workers did not start; the index in use "
                                "is unchanged") from exc
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        _inherited.clear()


def analysed_documents(session, seg, pool=None, form=Engine.bulk_form):
    """Every document, analysed, in order, each in ``form`` (an engine's ``bulk_form``).
    Without ``pool`` rows are read and analysed here; with it, each worker reads a range
    of rows and analyses them, and this process only plans the ranges and hands the
    results on (lazily: nothing is read before the caller starts iterating)."""
    if pool is None:
        yield from (form(analyse(d, seg)) for d in iter_documents(session))
        return
    ranges = document_ranges(session, CHUNK)
    pending: collections.deque = collections.deque()
    try:
        while True:
            where = next(ranges, None)
            if where is not None:
                pending.append(pool.submit(_analyse_range, where, form))
            while pending and (len(pending) >= IN_FLIGHT or where is None):
                yield from pending.popleft().result(timeout=CHUNK_TIMEOUT)
            if where is None:
                break
    except BrokenProcessPool as exc:
        raise RebuildFailed("an analysis worker process died (killed for memory?); the "
                            "index in use is unchanged; run the rebuild again") from exc
    except FutureTimeout as exc:
        raise RebuildFailed(f"an analysis worker took over {CHUNK_TIMEOUT} s on one chunk; "
                            "the index in use is unchanged") from exc


def rebuild(app=None) -> tuple[int, float]:
    """Build a new index generation from the database and swap it in; (count, seconds)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    engine = get_engine(app)
    seg = get_segmenter(app)
    load_pinyin()
    started = time.perf_counter()
    with Session(db.engine) as session:  # where the change log stands before reading
        newest = changes.newest_id(session)
        position = changes.Position.load(engine.root)
        if position is None or position.last > newest:  # none yet, or another database's
            position = changes.Position(newest)
    with _fewer_gc_passes(), Session(db.engine) as session, analysis_pool(session) as pool:
        docs = analysed_documents(session, seg, pool, engine.bulk_form)

        def reload_keys(keys):
            with Session(db.engine) as s2:
                return {k: (analyse(d, seg) if d else None)
                        for k, d in load_documents(s2, keys).items()}

        count = engine.rebuild(docs, reload_keys)
    # What changed while the rebuild read is applied again by the next catch-up.
    changes.reset_after_rebuild(engine.root, position)
    return count, time.perf_counter() - started


def check(app=None) -> dict[str, list[str]]:
    """Compare the index with the database: missing, stale and extra keys."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    engine = get_engine(app)
    indexed = engine.stamps()
    missing, stale = [], []
    seen = set()
    with Session(db.engine) as session:
        for doc in iter_documents(session):
            key = doc["key"]
            seen.add(key)
            if key not in indexed:
                missing.append(key)
            elif indexed[key] != doc["stamp"]:
                stale.append(key)
    extra = sorted(set(indexed) - seen)
    return {"missing": missing, "stale": stale, "extra": extra}


@search_cli.command("rebuild")
def rebuild_command():
    """Build a new index from the database and swap it in (the site keeps answering)."""
    engine = get_engine()
    if engine.name == "none":
        click.echo("SEARCH_ENGINE=none: nothing to build.")
        return
    try:
        count, seconds = rebuild()
    except RebuildFailed as exc:
        raise click.ClickException(f"rebuild failed: {exc}") from exc
    rate = count / seconds if seconds else 0
    click.echo(f"{engine.name}: indexed {count} documents in {seconds:.1f} s "
               f"({rate:.0f} docs/s) into {engine.root}")


@search_cli.command("check")
@click.option("--show", default=20, help="How many keys of each kind of drift to list.")
def check_command(show: int):
    """Report records missing from, stale in, or extra in the index (exit 1 on drift)."""
    engine = get_engine()
    if engine.name == "none":
        click.echo("SEARCH_ENGINE=none: no index to check.")
        return
    report = check()
    drift = False
    for label, keys in report.items():
        click.echo(f"{label}: {len(keys)}")
        for key in keys[:show]:
            click.echo(f"  {key}")
        drift = drift or bool(keys)
    if drift:
        click.echo("The index has drifted from the database: run `portal search rebuild`.")
        sys.exit(1)
    click.echo("The index matches the database.")


@search_cli.command("follow")
@click.option("--poll", default=1.0, show_default=True,
              help="Seconds between looks at the change log when no NOTIFY wakes it (SQLite).")
@click.option("--once", is_flag=True, help="Catch up once and exit.")
def follow_command(poll: float, once: bool):
    """Keep this host's index in step with the database's change log (runs until stopped)."""
    engine = get_engine()
    if engine.name == "none":
        click.echo("SEARCH_ENGINE=none: nothing to follow.")
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        click.echo(f"applied {changes.catch_up(app)} changed rows")
        return
    click.echo(f"following the change log into {engine.root} (Ctrl-C stops)")
    changes.follow(app, poll=poll)


@search_cli.command("synonyms")
def synonyms_command():
    """Check the synonyms file (SEARCH_SYNONYMS) and list what it holds (exit 1 on bad rows)."""
    from .synonyms import SynonymFile

    holder = SynonymFile(current_app.config.get("SEARCH_SYNONYMS"))
    value = holder.get()
    click.echo(f"{holder.path}: {len(value.table)} terms")
    for term, means in sorted(value.table.items()):
        click.echo(f"  {term} -> {' | '.join(means)}")
    for problem in value.problems:
        click.echo(f"problem: {problem}", err=True)
    if value.problems:
        sys.exit(1)


def init_app(app):
    app.cli.add_command(search_cli)
