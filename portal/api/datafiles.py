"""What /data/ says about each open-data file: licence, last update, rows and size.

The size is exact, not estimated: the file a visitor downloads from /data/<kind>.csv is
generated once per change of its dataset and kept in ``<instance>/open-data/``, named by
the dataset's last change (latest ``updated_at`` / ``status_changed_at``) and its row
count.  A publish, correction or withdrawal changes the first; a record entering or
leaving its publication window changes the second; either gives a new name, so the next
view of /data/ writes the new file (streamed to disk, constant memory) and removes the
old one.  Every later view only stats the file.  (An estimate would be free but wrong
by a varying margin, and a visitor choosing whether to download 30 MB over a phone
connection deserves the real figure.)
"""

from __future__ import annotations

import csv
import datetime as dt
import os
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


def cached_csv(dataset: Dataset, updated: dt.datetime | None, rows: int) -> Path:
    """The full CSV of ``dataset`` as /data/<kind>.csv serves it, for this version."""
    stamp = updated.strftime("%Y%m%dT%H%M%S%f") if updated else "empty"
    folder = cache_dir()
    path = folder / f"{dataset.download}-{stamp}-{rows}.csv"
    if path.exists():
        return path
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
    for old in folder.glob(f"{dataset.download}-*.csv"):
        if old != path:
            old.unlink(missing_ok=True)
    return path


def data_files() -> list[dict]:
    """One entry per dataset for the /data/ page."""
    counts = queries.home_counts()
    out = []
    for dataset in kinds.DATASETS:
        rows = counts[dataset.counted_as]
        updated = last_updated(dataset)
        endpoint = ("api.agencies_export" if dataset is kinds.AGENCY
                    else f"api.{dataset.key}_export")
        size = cached_csv(dataset, updated, rows).stat().st_size
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
