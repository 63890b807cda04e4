"""``ivr users ...``: staff accounts for the web UI."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ivr import db
from ivr.staff.auth import find_user, password_problem, username_problem
from ivr.staff.models import ROLES, User

cli = AppGroup("users", help="Staff accounts for the web UI (roles: " + ", ".join(ROLES) + ").")

password_stdin = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt="Repeat the password"
        )
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    return password


def _user(username: str) -> User:
    user = find_user(db.session(), username)
    if user is None:
        raise click.ClickException(f"no user named {username!r} (see `ivr users list`)")
    return user


@cli.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may see.")
@click.option("--name", "display_name", default="", help="Display name, e.g. 张伟.")
@password_stdin
def add(username: str, role: str, display_name: str, password_stdin: bool) -> None:
    """Create USERNAME with ROLE; the password is asked for twice (hidden)."""
    problem = username_problem(username)
    if problem:
        raise click.BadParameter(problem, param_hint="USERNAME")
    session = db.session()
    if find_user(session, username) is not None:
        raise click.ClickException(f"a user named {username!r} already exists")
    user = User(username=username, role=role, display_name=display_name.strip())
    user.set_password(_read_password(password_stdin))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # created concurrently
        session.rollback()
        raise click.ClickException(f"a user named {username!r} already exists") from None
    click.echo(f"added {username} ({role})")


@cli.command("list")
def list_users() -> None:
    """Show every user, role and whether the account is active."""
    users = db.session().scalars(select(User).order_by(User.username)).all()
    if not users:
        click.echo("no users yet: add one with `ivr users add USERNAME --role admin`")
        return
    width = max(len(u.username) for u in users)
    for user in users:
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.username:<{width}}  {user.role:<11}  {state:<11}  {user.display_name}")


@cli.command("set-password")
@click.argument("username")
@password_stdin
def set_password(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password."""
    user = _user(username)
    user.set_password(_read_password(password_stdin))
    db.session().commit()
    click.echo(f"password changed for {username}")


@cli.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Stop USERNAME from logging in (also ends their open sessions); keeps the audit trail."""
    user = _user(username)
    user.active = False
    db.session().commit()
    click.echo(f"deactivated {username}")


@cli.command("activate")
@click.argument("username")
def activate(username: str) -> None:
    """Let a deactivated USERNAME log in again."""
    user = _user(username)
    user.active = True
    db.session().commit()
    click.echo(f"activated {username}")
