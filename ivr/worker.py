"""`ivr worker`: RQ workers with the app loaded and speech models in memory before forking.

With ``--processes N`` one parent loads the models and forks N workers (RQ's
WorkerPool), which respawns any that dies. Forked workers share the model's
memory pages: one copy per host instead of N, and decoders running side by side
contend far less for the CPU caches (bench/transcribe.py: 2 workers 1.52-2.22x
as fast as 1 when they share the model, 1.39-1.67x with a copy each).
"""

from __future__ import annotations

import gc

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import configure_mappers

from ivr import db, jobs


@click.command("worker")
@click.option("--queues", default="events,default,transcribe", show_default=True)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes forked from this one (one per core for transcription).",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(queues: str, processes: int, burst: bool) -> None:
    """Run background jobs from Redis (REDIS_URL)."""
    from rq import Worker
    from rq.worker_pool import WorkerPool

    from ivr.speech.ext import registry

    queue = current_app.extensions["ivr.jobs"]
    if not isinstance(queue, jobs.RQJobs):
        raise click.ClickException("REDIS_URL is not set: jobs run inside the web process")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs.worker_app = app
    loaded = registry().preload(registry().configured_locales())
    configure_mappers()  # once here, not in every forked work horse
    # RQ forks a work horse per job. Without this, the horse's first full garbage
    # collection visits every object inherited from here (the app, the models),
    # copying each memory page it touches: far more work than a journal flush.
    gc.freeze()
    click.echo(f"speech models loaded: {', '.join(loaded) or 'none'}")
    swept = jobs.sweep_all()
    click.echo("re-queued: " + ", ".join(f"{n} {name}" for name, n in swept.items()))
    names = [name.strip() for name in queues.split(",")]
    if processes == 1:
        Worker([queue.queue(name) for name in names], connection=queue.connection).work(
            burst=burst, with_scheduler=True
        )
        return
    db.engine().dispose()  # no pooled connection shared with the forked workers
    click.echo(f"starting {processes} worker processes")
    WorkerPool(names, connection=queue.connection, num_workers=processes).start(burst=burst)
