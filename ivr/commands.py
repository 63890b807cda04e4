"""The core's command groups (each domain adds its own in its init_app)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


@click.group("jobs", cls=AppGroup)
def jobs_group() -> None:
    """Background jobs."""


@jobs_group.command("sweep")
def jobs_sweep() -> None:
    """Queue again every job the database says is pending (after Redis was down)."""
    from ivr import jobs

    swept = jobs.sweep_all()
    click.echo("queued: " + ", ".join(f"{n} {name}" for name, n in swept.items()))


def init_app(app: Flask) -> None:
    """The core's command groups; each domain adds its own."""
    from ivr.calls.cli import cli as calls_cli
    from ivr.speech.cli import cli as models_cli
    from ivr.worker import worker_command

    for command in (jobs_group, calls_cli, models_cli, worker_command):
        app.cli.add_command(command)
