"""The ``portal`` console command: a Flask CLI group bound to ``create_app``.

Packages add their own commands in their ``init_app`` (``portal import``,
``portal demo``, ``portal search ...``, ``portal staff ...``).
"""

import click
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from . import create_app

    return create_app(from_cli=True)


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Lantian portal management commands."""


def init_app(app):
    from . import translate

    app.cli.add_command(reference_cli)
    app.cli.add_command(calendar_cli)
    translate.init_app(app)


@click.command("secret")
def secret_command():
    """Print a fresh random secret key for PORTAL_SECRET_KEY."""
    import secrets

    click.echo(secrets.token_hex(32))


# Needs no application: it works before any key is configured (also in production).
main.add_command(secret_command)


@click.group("reference", help="Reference data: administrative divisions and bureaus.")
def reference_cli():
    pass


@reference_cli.command("load")
@click.option("--bureaus", "bureaus_file", type=click.Path(exists=True, dir_okay=False),
              help="A bureaus CSV (default: the one shipped in portal/data/).")
@with_appcontext
def load_reference(bureaus_file):
    """Load (or update) divisions and bureaus; safe to run again."""
    from .extensions import db
    from .register.reference import load_bureaus, load_divisions

    divisions = load_divisions()
    bureaus = load_bureaus(bureaus_file)
    db.session.commit()
    click.echo(f"divisions: {divisions} rows; bureaus: {bureaus} rows")


from .register.cli import divisions_command  # noqa: E402 - `portal reference divisions FILE`

reference_cli.add_command(divisions_command)


@click.group("calendar", help="Holidays and make-up working days (nationwide or per province).")
def calendar_cli():
    pass


@calendar_cli.command("set")
@click.argument("day")
@click.option("--workday/--holiday", required=True,
              help="A make-up working day (调休上班) or a holiday.")
@click.option("--name", default=None, help="e.g. 春节")
@click.option("--province", default=None,
              help="A division or bureau code of the province (default: every province).")
@with_appcontext
def calendar_set(day, workday, name, province):
    """Declare DAY (YYYY-MM-DD) a holiday or a make-up working day."""
    from intake import calendar

    from .extensions import db

    try:
        row = calendar.set_calendar_day(day, workday, name, province=province)
    except calendar.CalendarError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"{row.day.isoformat()} {'workday' if row.workday else 'holiday'} "
               f"{row.province or 'nationwide'}")


@calendar_cli.command("remove")
@click.argument("day")
@click.option("--province", default=None, help="As for `set` (default: the nationwide row).")
@with_appcontext
def calendar_remove(day, province):
    """Remove the row of DAY (YYYY-MM-DD)."""
    import datetime as dt

    from intake import calendar

    from .extensions import db

    try:
        calendar.remove_calendar_day(dt.date.fromisoformat(day), province=province)
    except (ValueError, calendar.CalendarError) as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"removed {day}")
