"""``portal alerts send``: announce register changes to confirmed subscriptions."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("alerts", help="E-mail alerts about agencies and regions.")
def alerts_cli():
    pass


@alerts_cli.command("send")
@with_appcontext
def send_command():
    """Queue alert mail for changes since the last run (then run `portal mail send`)."""
    from ..extensions import db
    from .services import send_alerts

    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        result = send_alerts()
        db.session.commit()
    click.echo(f"changes: {result.changes}; deliveries: {result.deliveries}; "
               f"mails queued: {result.mails}")


def init_app(app):
    app.cli.add_command(alerts_cli)
