"""``portal storage check [--fix]``: evidence files and their rows, reconciled
(intake.storage.reconcile); run from a timer (deploy/portal-storage-check.timer)."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext


@click.group("storage", help="Evidence file storage (PORTAL_UPLOAD_DIR).")
def storage_cli():
    pass


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@storage_cli.command("check")
@click.option("--fix", is_flag=True, help="Remove the orphan files (files with no row).")
@click.option("--grace-minutes", default=60, show_default=True, type=click.IntRange(min=0),
              help="Files younger than this are left alone (a tip may be being filed).")
@with_appcontext
def check(fix, grace_minutes):
    """List evidence files with no row (orphans: removed with --fix) and rows whose file is
    missing.  Exit 1 when a row's file is missing, or an orphan was found without --fix."""
    from flask import current_app

    from . import storage

    report = storage.reconcile(grace_seconds=grace_minutes * 60, fix=fix)
    click.echo(f"{current_app.config['UPLOAD_DIR']}: {report.files} file(s), "
               f"{report.rows} row(s)")
    for f in report.orphans:
        verb = "removed" if fix else "orphan"
        click.echo(f"{verb}: {f.name} ({f.size} bytes, written {_when(f.modified)}, no row)")
    for m in report.missing:
        click.echo(f"missing: {m.stored_name} (attachment {m.attachment_id} of tip "
                   f"{m.tip_reference}): the row has no file")
    for name in report.foreign:
        click.echo(f"ignored: {name} (not an evidence file name)")
    if report.young:
        click.echo(f"{report.young} file(s) without a row are younger than {grace_minutes} "
                   "minute(s): left for the next run")
    click.echo(f"orphans: {len(report.orphans)}"
               + (f" (removed {report.removed})" if fix else "")
               + f"; missing: {len(report.missing)}")
    if report.missing or (report.orphans and not fix):
        raise SystemExit(1)


def init_app(app):
    app.cli.add_command(storage_cli)
