"""The ``portal`` console command: a Flask CLI group bound to ``create_app``.

Packages add their own commands in their ``init_app`` (``portal import``,
``portal demo``, ``portal search ...``, ``portal staff ...``).
"""

import click
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Lantian portal management commands."""


def init_app(app):
    from . import translate

    app.cli.add_command(reference_cli)
    translate.init_app(app)


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
