"""``ivr sample`` and ``ivr inspection ...``: draws, redraws, re-scoring, checks, demo data."""

from __future__ import annotations

import secrets
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ivr import db
from ivr.agents.models import Agent
from ivr.inspection import months
from ivr.inspection.models import AgentMonthResult, SampledCall
from ivr.inspection.rubric import current as current_grading
from ivr.inspection.sampling import DEFAULT_MIN_SECONDS, SamplingError, draw_month, redraw
from ivr.staff.auth import find_user
from ivr.staff.models import User

cli = AppGroup("inspection", help="Quality inspection: sampled calls, grades, monthly results.")


def _month(value: str | None) -> str:
    if value is None:
        return months.current(current_app.config["SETTINGS"].timezone)
    try:
        months.parse_month(value)
    except months.MonthError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    return value


@click.command("sample")
@with_appcontext
@click.option("--month", help="Month to sample, e.g. 2026-11 (default: this month).")
@click.option("--inspector", "inspector_name", help="Only this inspector (username).")
@click.option("--centre", help="Only agents of this centre (area code or 'provincial').")
@click.option(
    "--min-seconds",
    type=click.FloatRange(min=0),
    default=DEFAULT_MIN_SECONDS,
    show_default=True,
    help="Calls shorter than this are not sampled.",
)
@click.option("--seed", type=int, help="Fix the draw (each agent's seed is SEED + agent id).")
def sample_command(
    month: str | None,
    inspector_name: str | None,
    centre: str | None,
    min_seconds: float,
    seed: int | None,
) -> None:
    """Draw each inspector's three calls per agent for MONTH (agents already drawn are kept)."""
    month = _month(month)
    session = db.session()
    grading = current_grading()
    if inspector_name:
        user = find_user(session, inspector_name)
        if user is None or user.role != "inspector":
            raise click.ClickException(f"no inspector named {inspector_name!r}")
        inspectors = [user]
    else:
        inspectors = list(
            session.scalars(
                select(User).where(User.role == "inspector", User.active).order_by(User.id)
            )
        )
        if not inspectors:
            raise click.ClickException(
                "no inspectors: add one with `ivr users add NAME --role inspector`"
            )
    query = select(Agent).order_by(Agent.id)
    if centre:
        query = query.where(Agent.centre == centre)
    agents = list(session.scalars(query))
    size = grading.rubric.weighted_sections[0].calls_per_inspector or 3
    for inspector in inspectors:
        try:
            done = draw_month(
                session,
                month,
                inspector,
                current_app.config["SETTINGS"].timezone,
                rubric_id=grading.rubric.id,
                agents=agents,
                size=size,
                min_seconds=min_seconds,
                seed=seed,
            )
            session.commit()
        except (SamplingError, IntegrityError) as exc:
            session.rollback()
            raise click.ClickException(f"{inspector.username}: {exc}") from None
        for drawn in done:
            who = f"{inspector.username:<12} {drawn.agent.agent_number:>6}"
            if drawn.draw is None:
                click.echo(f"{who}  kept the {drawn.existing} calls already drawn")
                continue
            d = drawn.draw
            note = "  (too few eligible calls)" if drawn.short else ""
            click.echo(
                f"{who}  drew {len(d.picked)} of {len(d.pool)} eligible: "
                f"recordings {', '.join(map(str, d.picked)) or '-'} (seed {d.seed}){note}"
            )


@cli.command("redraw")
@click.argument("sample_ids", nargs=-1, type=int, required=True)
@click.option("--reason", required=True, help="Why the calls are redrawn (kept and audited).")
def redraw_command(sample_ids: tuple[int, ...], reason: str) -> None:
    """Replace sampled calls SAMPLE_IDS (one inspector's, one agent's) by new random ones."""
    from ivr.inspection.results import recompute

    session = db.session()
    samples = [session.get(SampledCall, sample_id) for sample_id in sample_ids]
    if any(s is None for s in samples):
        raise click.ClickException("unknown sample id")
    try:
        made = redraw(
            session,
            samples,  # type: ignore[arg-type]
            reason,
            current_app.config["SETTINGS"].timezone,
            actor_id=None,
        )
        recompute(session, current_grading(), made.month, made.agent_id)
        session.commit()
    except (SamplingError, IntegrityError) as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"redrew {len(samples)} call(s): recordings {made.picked} (seed {made.seed})")


@cli.command("recompute")
@click.option("--month", help="Month (default: this month).")
def recompute_command(month: str | None) -> None:
    """Score every agent's month again (after a rubric change)."""
    from ivr.inspection.results import recompute_many

    month = _month(month)
    session = db.session()
    ids = set(session.scalars(select(SampledCall.agent_id).where(SampledCall.month == month)))
    ids |= set(
        session.scalars(select(AgentMonthResult.agent_id).where(AgentMonthResult.month == month))
    )
    results = recompute_many(session, current_grading(), month, ids)
    session.commit()
    click.echo(f"scored {len(results)} agent(s) for {month}")


@cli.command("check")
@click.option("--month", help="Month (default: this month).")
def check_command(month: str | None) -> None:
    """Re-add the month in plain SQL and compare with the stored results."""
    from ivr.inspection.crosscheck import mismatches

    month = _month(month)
    problems = mismatches(db.session(), current_grading().rubric, month)
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo(f"{month}: stored results agree with the SQL re-addition")


@cli.command("demo")
@click.option("--month", help="The month to leave ready for grading (default: this month).")
@click.option(
    "--password",
    help="Password for the demo users created now (default: a new random one, printed); "
    "those that exist keep theirs.",
)
@click.option(
    "--tones", is_flag=True, help="Tone bursts for the demo audio even when espeak-ng exists."
)
def demo_command(month: str | None, password: str | None, tones: bool) -> None:
    """Create demo agents, recorded calls, inspectors and a team leader, and a sampled month."""
    from ivr.agents.cli import demo as agents_demo
    from ivr.inspection.demo import make_demo

    password = password or secrets.token_urlsafe(9)
    # The agents graded here; those created now log in with the same password.
    click.get_current_context().invoke(agents_demo, password=password)

    summary = make_demo(
        db.session(),
        current_app.config["SETTINGS"],
        _month(month),
        password=password,
        speech=not tones,
        echo=click.echo,
    )
    click.echo("")
    click.echo(summary)
