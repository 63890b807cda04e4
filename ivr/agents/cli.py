"""``ivr agents ...``: agents of the centres and their status."""

from __future__ import annotations

import re
import secrets
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ivr import db
from ivr.agents.models import Agent
from ivr.agents.presence import SETTABLE, PresenceUnavailable, presence
from ivr.staff.auth import find_user, password_problem, username_problem
from ivr.staff.models import User

cli = AppGroup("agents", help="Agents (咨询员) of the centres and their status.")

PHONE = re.compile(r"\+\d{6,15}|sip:[^\s@]+@[^\s]+")
AGENT_NUMBER = re.compile(r"\d{1,16}")
DEMO_PER_CENTRE = 2


def _centres() -> dict[str, str]:
    """Centre code -> name, from flows/directory.yaml."""
    directory = current_app.extensions["ivr.flows"].directory
    centres = {"provincial": directory.provincial.name("zh-CN")}
    centres.update({code: c.name("zh-CN") for code, c in directory.centres.items()})
    return centres


def _presence_call(work):
    try:
        return work()
    except PresenceUnavailable as exc:
        raise click.ClickException(f"agent status is unavailable: {exc}") from exc


def _password(from_stdin: bool) -> str:
    if not from_stdin:
        return secrets.token_urlsafe(24)  # nobody knows it: set one with `ivr users set-password`
    password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    return password


def save_agent(
    username: str,
    centre: str,
    number: str,
    phone: str,
    *,
    name: str = "",
    password: str | None = None,
) -> tuple[Agent, str]:
    """Create or update the agent (and its user, role agent); returns it and what was done."""
    session = db.session()
    user = find_user(session, username)
    created_user = user is None
    if user is None:
        problem = username_problem(username)
        if problem:
            raise click.BadParameter(problem, param_hint="USERNAME")
        user = User(username=username, role="agent", display_name=name)
        user.set_password(password or secrets.token_urlsafe(24))
        session.add(user)
        session.flush()
    elif user.role != "agent":
        raise click.ClickException(
            f"{username!r} has the role {user.role}; agents need the role agent"
        )
    taken = session.scalar(select(Agent).where(Agent.agent_number == number))
    agent = session.scalar(select(Agent).where(Agent.user_id == user.id))
    if taken is not None and taken is not agent:
        raise click.ClickException(f"agent number {number} belongs to {taken.user.username}")
    done = "updated"
    if agent is None:
        agent, done = Agent(user=user, centre=centre, agent_number=number, phone=phone), "added"
        session.add(agent)
    elif agent.centre != centre:
        _presence_call(lambda: presence().set_status(agent, "offline", force=True))
    agent.centre, agent.agent_number, agent.phone = centre, number, phone
    if name:
        user.display_name = name
    session.commit()
    if created_user:
        done += " (new user)"
    return agent, done


@cli.command("add")
@click.argument("username")
@click.option("--centre", required=True, help="Area code (0431…0439) or provincial.")
@click.option("--number", "agent_number", required=True, help="Agent number (工号), digits.")
@click.option("--phone", required=True, help="What to dial: +86… or sip:user@host.")
@click.option("--name", "display_name", default="", help="Display name, e.g. 张伟.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="For a new user: read the password from standard input (else set it later "
    "with `ivr users set-password`).",
)
def add(
    username: str,
    centre: str,
    agent_number: str,
    phone: str,
    display_name: str,
    password_stdin: bool,
) -> None:
    """Make USERNAME an agent of a centre (creating the user, role agent, if needed)."""
    centres = _centres()
    if centre not in centres:
        raise click.BadParameter(
            f"unknown centre {centre!r}; known: {', '.join(centres)}", param_hint="--centre"
        )
    if not AGENT_NUMBER.fullmatch(agent_number):
        raise click.BadParameter("digits only, at most 16", param_hint="--number")
    if not PHONE.fullmatch(phone):
        raise click.BadParameter(
            "expected +<country><number> or sip:user@host", param_hint="--phone"
        )
    password = None
    if password_stdin and find_user(db.session(), username) is None:
        password = _password(True)
    agent, done = save_agent(
        username, centre, agent_number, phone, name=display_name, password=password
    )
    click.echo(f"{done}: agent {agent.agent_number} {username} at {centres[centre]} ({centre})")


@cli.command("list")
def list_agents() -> None:
    """Every agent: centre, number, phone and current status."""
    agents = db.session().scalars(select(Agent).order_by(Agent.centre, Agent.agent_number)).all()
    if not agents:
        click.echo("no agents yet: add one with `ivr agents add USERNAME --centre 0431 ...`")
        return
    states = _presence_call(lambda: presence().states(agents))
    width = max(len(a.user.username) for a in agents)
    for agent in agents:
        state = states[agent.id]
        status = state.status + (f" (then {state.after})" if state.after else "")
        click.echo(
            f"{agent.centre:<10}  {agent.agent_number:<6}  {agent.user.username:<{width}}  "
            f"{status:<20}  {agent.phone}"
        )


@cli.command("status")
@click.argument("username")
@click.argument("status", type=click.Choice(SETTABLE))
def set_status(username: str, status: str) -> None:
    """Set USERNAME's status (also clears a call stuck on a busy agent)."""
    user = find_user(db.session(), username)
    agent = db.session().scalar(select(Agent).where(Agent.user_id == user.id)) if user else None
    if agent is None:
        raise click.ClickException(f"no agent named {username!r} (see `ivr agents list`)")
    state = _presence_call(lambda: presence().set_status(agent, status, force=True))
    db.session().commit()
    click.echo(f"{username}: {state.status}")


@cli.command("demo")
@click.option(
    "--password",
    help="Password for the demo agents created now (those that exist keep theirs).",
)
def demo(password: str | None) -> None:
    """Create two available demo agents per centre (idempotent)."""
    problem = password_problem(password) if password else None
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    centres = _centres()
    for index, centre in enumerate(centres):
        area = "431" if centre == "provincial" else centre[1:]
        for seat in range(DEMO_PER_CENTRE):
            number = f"{index + 1}{seat + 1:02d}"
            username = f"agent{number}"
            agent, _ = save_agent(
                username,
                centre,
                number,
                f"+86{area}1233{number}",
                name=f"{centres[centre]} {number}号",
                password=password,
            )
            _presence_call(lambda a=agent: presence().set_status(a, "available"))
            db.session().commit()
    click.echo(
        f"{DEMO_PER_CENTRE * len(centres)} demo agents available in {len(centres)} centres "
        "(usernames agent101…; "
        + ("those created now have the demo password; " if password else "")
        + "set a password with `ivr users set-password USERNAME`)"
    )
