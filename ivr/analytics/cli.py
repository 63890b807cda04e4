"""``ivr analytics ...``: demo traffic for the drawn flow, the statistics and the traces."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ivr.analytics.demo import CALLS, DAYS

cli = AppGroup("analytics", help="How callers move through the hotline.")


@cli.command("demo")
@click.option(
    "--calls",
    default=CALLS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Calls to walk through the flow over the last days.",
)
@click.option("--days", default=DAYS, show_default=True, type=click.IntRange(min=1, max=366))
def demo_command(calls: int, days: int) -> None:
    """Walk a month of calls through the real flow, in this process (once: run again, it
    adds only calls missing from an interrupted run)."""
    from ivr.analytics.demo import walk

    settings = current_app.config["SETTINGS"]
    summary = walk(current_app._get_current_object(), calls, days=days, echo=click.echo)  # type: ignore[attr-defined]
    for line in summary.lines(settings.timezone):
        click.echo(line)
