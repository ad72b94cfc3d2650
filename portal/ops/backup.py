"""``portal backup DIR`` and ``portal restore DIR``.

A backup is a directory:

* ``database.sqlite`` (SQLite's online backup API: a consistent copy while the site runs) or
  ``database.dump`` (``pg_dump --format=custom``: one consistent snapshot);
* ``uploads/``: the evidence files as stored (encrypted at rest: they stay so);
* ``manifest.json``: when, from which schema revision, the SHA-256 and size of every file,
  and the identifiers of the data keys the files and identity columns were sealed with.

The data key itself (``PORTAL_DATA_KEY``) is never written to a backup: keep it apart (a
restore needs it to read the reporters' identity and the evidence).  The search index is
not backed up: ``restore`` rebuilds it from the restored database.

``restore`` verifies every hash of the manifest before it touches anything, refuses to
overwrite a database that holds tips unless ``--force``, then loads the database, puts the
files back and rebuilds the index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from portal.extensions import db

MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(click.ClickException):
    pass


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files_under(root: str) -> list[str]:
    out = []
    for dirpath, _dirs, files in os.walk(root):
        out += [os.path.relpath(os.path.join(dirpath, f), root) for f in files]
    return sorted(out)


def _libpq_url() -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _schema_revision() -> str | None:
    try:
        return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return None


def _key_ids() -> list[str]:
    from intake import crypto

    return sorted(crypto.keyring().keys)


def make_backup(target: str) -> dict:
    if os.path.exists(target) and os.listdir(target):
        raise BackupError(f"{target} is not empty: give a new directory")
    os.makedirs(target, mode=0o700, exist_ok=True)
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        name = "database.sqlite"
        source = sqlite3.connect(db.engine.url.database)
        dest = sqlite3.connect(os.path.join(target, name))
        with dest:
            source.backup(dest)
        source.close()
        dest.close()
    elif dialect == "postgresql":
        name = "database.dump"
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file",
                        os.path.join(target, name), _libpq_url()], check=True)
    else:
        raise BackupError(f"no backup method for {dialect}")
    uploads = current_app.config["UPLOAD_DIR"]
    if os.path.isdir(uploads):
        shutil.copytree(uploads, os.path.join(target, "uploads"))
    files = {}
    for rel in _files_under(target):
        path = os.path.join(target, rel)
        files[rel] = {"sha256": _sha256(path), "bytes": os.path.getsize(path)}
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": {"dialect": dialect, "file": name, "schema_revision": _schema_revision()},
        "data_key_ids": _key_ids(),
        "files": files,
    }
    with open(os.path.join(target, MANIFEST), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
    return manifest


def verify(source: str) -> dict:
    """The manifest, once every file it lists is present with its hash (else BackupError)."""
    try:
        with open(os.path.join(source, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable {MANIFEST} in {source}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    bad = []
    for rel, meta in manifest["files"].items():
        path = os.path.join(source, rel)
        if not os.path.isfile(path) or _sha256(path) != meta["sha256"]:
            bad.append(rel)
    listed = set(manifest["files"]) | {MANIFEST}
    extra = [rel for rel in _files_under(source) if rel not in listed]
    if bad or extra:
        raise BackupError("the backup does not match its manifest: "
                          + ", ".join([*(f"changed or missing {r}" for r in bad[:10]),
                                       *(f"not listed {r}" for r in extra[:10])]))
    return manifest


def _holds_tips() -> bool:
    from intake.models import Tip

    try:
        return bool(db.session.scalar(sa.select(sa.func.count()).select_from(Tip)))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False


def restore_backup(source: str, force: bool = False) -> dict:
    manifest = verify(source)
    dialect = db.engine.dialect.name
    if manifest["database"]["dialect"] != dialect:
        raise BackupError(f"the backup holds a {manifest['database']['dialect']} database; "
                          f"this site uses {dialect}")
    missing_keys = sorted(set(manifest["data_key_ids"]) - set(_key_ids()))
    if missing_keys:
        raise BackupError("PORTAL_DATA_KEY lacks the key(s) the backup was sealed with "
                          f"({', '.join(missing_keys)}): set it before restoring")
    if _holds_tips() and not force:
        raise BackupError("this site's database holds tips: restoring replaces them "
                          "(use --force if that is what you want)")
    dump = os.path.join(source, manifest["database"]["file"])
    db.session.remove()
    db.engine.dispose()
    if dialect == "sqlite":
        target = db.engine.url.database
        src = sqlite3.connect(dump)
        dest = sqlite3.connect(target)
        with dest:
            src.backup(dest)
        src.close()
        dest.close()
    else:
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner",
                        "--single-transaction", "--dbname", _libpq_url(), dump], check=True)
    uploads = current_app.config["UPLOAD_DIR"]
    if os.path.isdir(uploads):
        shutil.rmtree(uploads)
    if os.path.isdir(os.path.join(source, "uploads")):
        shutil.copytree(os.path.join(source, "uploads"), uploads)
    else:
        os.makedirs(uploads, mode=0o700, exist_ok=True)
    from search.cli import rebuild

    rebuild()
    return manifest


@click.command("backup")
@click.argument("directory")
@with_appcontext
def backup_command(directory):
    """Write a consistent backup (database, evidence files, manifest) into DIRECTORY."""
    manifest = make_backup(directory)
    size = sum(f["bytes"] for f in manifest["files"].values())
    click.echo(f"backup written to {directory}: {len(manifest['files'])} files, {size:,} bytes "
               f"(schema {manifest['database']['schema_revision']}). The data key is not in "
               "it: keep PORTAL_DATA_KEY apart from the backups.")


@click.command("restore")
@click.argument("directory")
@click.option("--force", is_flag=True, help="Replace a database that already holds tips.")
@with_appcontext
def restore_command(directory, force):
    """Verify the backup in DIRECTORY, restore it, and rebuild the search index."""
    manifest = restore_backup(directory, force=force)
    click.echo(f"restored the backup of {manifest['created_at']} "
               f"(schema {manifest['database']['schema_revision']}); search index rebuilt. "
               "Run `portal db upgrade` if this code is newer than the backup.")
