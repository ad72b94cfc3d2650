"""``portal mail send`` (drain the outbox), ``portal tips demo`` and
``portal tips erase-receipts``."""

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


def init_app(app):
    app.cli.add_command(mail_cli)
    app.cli.add_command(tips_cli)
