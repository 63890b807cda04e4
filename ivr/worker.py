"""`ivr worker`: an RQ worker with the app loaded and speech models in memory before forking."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import configure_mappers

from ivr import jobs


@click.command("worker")
@click.option("--queues", default="events,default,transcribe", show_default=True)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(queues: str, burst: bool) -> None:
    """Run background jobs from Redis (REDIS_URL)."""
    from rq import Worker

    from ivr.speech.ext import registry

    queue = current_app.extensions["ivr.jobs"]
    if not isinstance(queue, jobs.RQJobs):
        raise click.ClickException("REDIS_URL is not set: jobs run inside the web process")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs.worker_app = app
    loaded = registry().preload(registry().configured_locales())
    configure_mappers()  # once here, not in every forked work horse
    click.echo(f"speech models loaded: {', '.join(loaded) or 'none'}")
    swept = jobs.sweep_all()
    click.echo("re-queued: " + ", ".join(f"{n} {name}" for name, n in swept.items()))
    worker = Worker(
        [queue.queue(name.strip()) for name in queues.split(",")], connection=queue.connection
    )
    worker.work(burst=burst, with_scheduler=True)
