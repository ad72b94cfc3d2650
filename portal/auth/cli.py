"""`portal staff ...`: create, deactivate, reset-password, list."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from .models import Role

staff_cli = click.Group("staff", help="Staff accounts of the back office.")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _fail(message: str):
    raise click.ClickException(message)


@staff_cli.command("create")
@click.option("--bureau", "bureau_code", required=True, help="Bureau code, e.g. 140100.")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--email", required=True)
@click.option("--name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create(bureau_code, role, email, name, password_stdin):
    """Create a staff account (password from a prompt or stdin)."""
    from ..extensions import db
    from . import services

    try:
        bureau = services.bureau_by_code(bureau_code)
        user = services.create_staff(email=email, role=role, bureau=bureau, name=name,
                                     password=_read_password(password_stdin))
    except services.AccountError as exc:
        db.session.rollback()
        _fail(exc.message)
    db.session.commit()
    click.echo(f"created {user.email} ({user.role}, {bureau.code})")


@staff_cli.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate(email):
    """Deactivate an account; its sessions end at once."""
    from ..extensions import db
    from . import services

    user = services.find_staff(email)
    if user is None:
        _fail(f"no account {email}")
    services.deactivate_staff(user)
    db.session.commit()
    click.echo(f"deactivated {user.email}")


@staff_cli.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def reset(email, password_stdin):
    """Set a new password; all sessions end, the lockout is cleared."""
    from ..extensions import db
    from . import services

    user = services.find_staff(email)
    if user is None:
        _fail(f"no account {email}")
    try:
        services.reset_password(user, _read_password(password_stdin))
    except services.AccountError as exc:
        db.session.rollback()
        _fail(exc.message)
    db.session.commit()
    click.echo(f"password reset for {user.email}")


@staff_cli.command("list")
@click.option("--bureau", "bureau_code", default=None)
@with_appcontext
def list_staff(bureau_code):
    """List accounts: email, role, bureau, active, TOTP."""
    from ..extensions import db
    from ..register.models import Bureau
    from .models import StaffUser

    query = db.select(StaffUser).join(Bureau).order_by(Bureau.code, StaffUser.email)
    if bureau_code:
        query = query.where(Bureau.code == bureau_code)
    for user in db.session.scalars(query):
        click.echo("\t".join([
            user.email, user.role, user.bureau.code,
            "active" if user.active else "inactive",
            "totp" if user.totp_secret else "-",
        ]))


@staff_cli.command("demo")
@with_appcontext
def demo():
    """Create the documented demo accounts (demo installations only)."""
    from ..extensions import db
    from .demo import build_demo_staff

    rows = build_demo_staff()
    db.session.commit()
    for email, role, code, password in rows:
        click.echo(f"{email}\t{role}\t{code}\t{password}")
