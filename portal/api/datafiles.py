"""What /data/ says about each open-data file: licence, last update, rows and size.

The size is exact, not estimated: the file a visitor downloads from /data/<kind>.csv is
generated once per change of the register and kept in ``<instance>/open-data/``, named by
the register's data version (``register.caching``: it changes with every committed write
and every day, as publication windows move).  The first request after a change (the /data/
page or a download) writes the new file (streamed to disk, constant memory; one process at
a time, the others wait for it) and removes the old one; every later one only stats or
sends the file.  (An estimate would be free but wrong by a varying margin, and a visitor
choosing whether to download 30 MB over a phone connection deserves the real figure.)
"""

from __future__ import annotations

import csv
import fcntl
import gzip
import os
import shutil
import tempfile
from pathlib import Path

from flask import current_app, url_for

from ..register import kinds, queries
from ..register.kinds import Dataset
from ..security import neutralize_row
from .exports import last_updated


def cache_dir() -> Path:
    path = Path(current_app.instance_path) / "open-data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_csv(dataset: Dataset, *, gzipped: bool = False) -> Path:
    """The full CSV of ``dataset`` as /data/<kind>.csv serves it, for this data version;
    with ``gzipped`` its gzip-compressed copy (written beside it, at the same time), which
    is what a client that accepts gzip is sent: a fifth of the bytes to send and to carry."""
    from ..register.caching import data_version

    folder = cache_dir()
    path = folder / f"{dataset.download}-{data_version()[0]}.csv"
    wanted = _gzip_path(path) if gzipped else path
    if wanted.exists():
        return wanted
    with open(folder / f".{dataset.download}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer; the others wait, then find the file
        if not wanted.exists():
            _write_csv(dataset, folder, path)
    return wanted


def _gzip_path(path: Path) -> Path:
    return path.with_name(path.name + ".gz")


def _write_gzip(path: Path, folder: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(
                filename=path.name, mode="wb", fileobj=raw, compresslevel=6, mtime=0) as out, \
                open(path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(tmp, _gzip_path(path))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_csv(dataset: Dataset, folder: Path, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write("\ufeff")
            writer = csv.writer(out)
            writer.writerow([c.header for c in dataset.columns])
            for row in queries.export_rows(dataset.key):
                writer.writerow(neutralize_row(row))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _write_gzip(path, folder)
    for pattern in (f"{dataset.download}-*.csv", f"{dataset.download}-*.csv.gz"):
        for old in folder.glob(pattern):
            if old not in (path, _gzip_path(path)):
                old.unlink(missing_ok=True)


def data_files() -> list[dict]:
    """One entry per dataset for the /data/ page."""
    counts = queries.home_counts()
    out = []
    for dataset in kinds.DATASETS:
        rows = counts[dataset.counted_as]
        updated = last_updated(dataset)
        endpoint = ("api.agencies_export" if dataset is kinds.AGENCY
                    else f"api.{dataset.key}_export")
        size = cached_csv(dataset).stat().st_size
        # a kind declared after the app was built has its /data/ CSV but no API routes yet
        routed = endpoint in current_app.view_functions
        out.append({
            "dataset": dataset, "rows": rows, "last_updated": updated,
            "size": size, "size_text": human_size(size),
            "csv": url_for("register.download", kind=dataset.download),
            "xlsx": url_for(endpoint, fmt="xlsx") if routed else None,
            "jsonl": url_for(endpoint, fmt="jsonl") if routed else None,
        })
    return out


def human_size(size: int) -> str:
    """1234567 -> "1.2 MB" (decimal units, as browsers show downloads)."""
    for unit in ("B", "KB", "MB"):
        if size < 1000:
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
