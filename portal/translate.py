"""`portal translate extract|update|compile|init`: the Babel message catalogs.

Catalogs live in portal/translations/<locale>/LC_MESSAGES/messages.po; the compiled
.mo files are committed so that an install needs no build step.
"""

from __future__ import annotations

import subprocess
import sys

import click

from .config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "portal" / "translations"
POT = TRANSLATIONS / "messages.pot"


def _pybabel(*args: str) -> None:
    cmd = [sys.executable, "-m", "babel.messages.frontend", *args]
    result = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise click.ClickException(result.stderr or result.stdout)


@click.group("translate", help="Extract, update and compile the UI translations.")
def translate_cli():
    pass


@translate_cli.command("extract")
def extract():
    """Write messages.pot from the code and templates."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
             "-o", str(POT), ".")
    click.echo(f"wrote {POT.relative_to(PROJECT_ROOT)}")


@translate_cli.command("update")
def update():
    """Extract, then merge new strings into every catalog."""
    extract.callback()
    _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching")
    click.echo("catalogs updated")


@translate_cli.command("init")
@click.argument("locale")
def init(locale):
    """Start a catalog for LOCALE (e.g. en)."""
    _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale)


@translate_cli.command("compile")
def compile_():
    """Compile .po catalogs to .mo (commit the result)."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--use-fuzzy")
    click.echo("catalogs compiled")


def init_app(app):
    app.cli.add_command(translate_cli)
