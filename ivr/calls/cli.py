"""``ivr calls``: the call journal."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ivr.calls import journal

cli = AppGroup("calls", help="Calls and their recorded steps.")


@cli.command("flush")
def flush() -> None:
    """Write the call journal's waiting menu steps to the database now."""
    log = journal.journal()
    if log is None:
        click.echo("no call journal (REDIS_URL is not set): webhooks write calls directly")
        return
    written = log.flush()
    click.echo(f"written: {written} request(s); waiting: {log.backlog()}")
    if dead := log.dead():
        click.echo(
            f"refused by the database: {dead} request(s), kept in Redis under {journal.DEAD}"
        )
