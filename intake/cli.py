"""``portal mail send`` (drain the outbox), ``portal tips demo``,
``portal tips erase-receipts``, ``portal tips purge`` (retention) and ``portal keys``
(generate, rotate: intake.crypto)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("mail", help="Outgoing mail (the outbox table).")
def mail_cli():
    pass


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True, help="Messages to try in this run.")
@with_appcontext
def send_mail(limit):
    """Send unsent mail through SMTP (PORTAL_SMTP_HOST/PORT); failures stay queued."""
    from .services import send_outbox

    sent, failed = send_outbox(limit)
    click.echo(f"sent: {sent}; failed: {failed}")
    if failed:
        raise SystemExit(1)


@click.group("tips", help="Tips (举报).")
def tips_cli():
    pass


@tips_cli.command("demo")
@click.option("--count", default=60, show_default=True)
@click.option("--seed", default=20261121, show_default=True)
@with_appcontext
def demo_tips(count, seed):
    """Create synthetic tips in various states (through the workflow)."""
    from portal.extensions import db

    from .demo import build_demo_tips

    made = build_demo_tips(count=count, seed=seed)
    db.session.commit()
    click.echo(f"tips: {made}")


@tips_cli.command("recount")
@with_appcontext
def recount_tips():
    """Recount every tip's working days to acceptance and conclusion (the statistics) in
    the nationwide calendar as it is now: after upgrading chinese-calendar.  Calendar days
    an administrator declares are recounted when declared."""
    from portal.extensions import db

    from .durations import recount

    changed = recount()
    db.session.commit()
    click.echo(f"recounted: {changed} tip(s) changed")


@tips_cli.command("erase-receipts")
@with_appcontext
def erase_receipts():
    """Erase the sealed tracking codes kept for repeated submissions whose window ended
    (each filing does this too; run it from cron where tips are rare)."""
    from portal.extensions import db

    from . import receipts, workflow

    erased = receipts.erase_expired(workflow.now())
    db.session.commit()
    click.echo(f"erased: {erased}")


@tips_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
@click.option("--years", type=int, default=None,
              help="Years after conclusion (default: PORTAL_TIP_RETENTION_YEARS).")
@with_appcontext
def purge_tips(dry_run, years):
    """Delete the evidence files and the reporter's identity of tips concluded more than
    the retention period ago (the facts and the timeline stay; an event records it)."""
    from flask import current_app

    from portal.extensions import db

    from . import retention, workflow

    years = current_app.config["TIP_RETENTION_YEARS"] if years is None else years
    now = workflow.now()
    tips = retention.due_for_purge(now, years)
    click.echo(f"concluded before {retention.cutoff(now, years):%Y-%m-%d}: {len(tips)} tip(s)")
    for tip in tips:
        if dry_run:
            live = sum(1 for a in tip.attachments if a.purged_at is None)
            click.echo(f"  would purge {tip.reference}: {live} file(s), "
                       f"identity {'yes' if not tip.anonymous else 'no'}")
            continue
        done = retention.purge_tip(tip, now)
        db.session.commit()
        click.echo(f"  purged {tip.reference}: {done.files} file(s), "
                   f"identity {'yes' if done.identity else 'no'}")
    if dry_run:
        click.echo("dry run: nothing changed")


@click.group("keys", help="The data key (PORTAL_DATA_KEY) encrypting reporter data.")
def keys_cli():
    pass


@keys_cli.command("generate")
def generate_key():
    """Print a fresh random key for PORTAL_DATA_KEY."""
    from .crypto import new_key

    click.echo(new_key())


@keys_cli.command("rotate")
@click.option("--batch", default=200, show_default=True, help="Rows per transaction.")
@with_appcontext
def rotate_keys(batch):
    """Encrypt every identity, address and evidence file again under the first key of
    PORTAL_DATA_KEY (the site keeps running; see the README)."""
    from . import crypto, retention

    ring = crypto.keyring()
    if ring.derived:
        click.echo("warning: PORTAL_DATA_KEY is not set; using the development key", err=True)
    done = retention.rotate(batch)
    click.echo(f"current key {ring.current}: re-encrypted {done.tips} tip(s), "
               f"{done.addresses} address(es), {done.files} file(s)")
    for error in done.errors:
        click.echo(f"error: {error}", err=True)
    if done.errors:
        raise SystemExit(1)


def init_app(app):
    from . import storage_cli

    app.cli.add_command(mail_cli)
    app.cli.add_command(tips_cli)
    app.cli.add_command(keys_cli)
    storage_cli.init_app(app)
