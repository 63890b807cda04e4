"""Background jobs: RQ queues on Redis when REDIS_URL is set, else a queue in the database.

Tasks are registered by name with their queue, timeout, retry back-off and
failure TTL. Enqueue them only after the database commit that they read.
Work whose enqueue fails (Redis down) stays "pending" in the database and is
picked up again by ``ivr jobs sweep``, which ``ivr worker`` runs at start.

Without Redis, jobs are rows of the ``jobs`` table in the app's own database
(SQLite or PostgreSQL), served by a thread in every web worker process:
``ivr.jobs.embedded`` (leases, scheduled retries, one run of a job at a time).

A periodic task (``periodic``) queues its own next run, at the next multiple of
its interval: one job id per slot, so the chains that worker starts (a sweep)
and embedded threads begin merge into one instead of multiplying.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

log = logging.getLogger("ivr.jobs")


@dataclass(frozen=True)
class Task:
    name: str
    func: Callable[..., Any]
    queue: str = "default"
    timeout: int = 600  # seconds a single run may take
    retry_intervals: tuple[int, ...] = (10, 30, 120, 600)  # seconds between attempts
    failure_ttl: int = 30 * 24 * 3600  # keep failed jobs a month for inspection


TASKS: dict[str, Task] = {}


def task(name: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        TASKS[name] = Task(name, func, **options)
        return func

    return register


# name -> function that re-queues work left pending in the database; returns how many.
SWEEPERS: dict[str, Callable[[], int]] = {}


def sweeper(name: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    def register(func: Callable[[], int]) -> Callable[[], int]:
        SWEEPERS[name] = func
        return func

    return register


# name -> seconds between its runs, read from the app's settings (None: not to run).
PERIODIC: dict[str, Callable[[], int | None]] = {}


def periodic(
    name: str, every: Callable[[], int | None], **options: Any
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """A task run every ``every()`` seconds by whichever worker serves the queue.

    Each run queues the next (also when it fails: the next run is its retry), so
    nothing sleeps on a worker's thread. ``ivr worker``'s sweep, ``ivr jobs sweep``
    and each embedded queue thread start the chain.
    """

    def register(func: Callable[[], Any]) -> Callable[[], Any]:
        @functools.wraps(func)
        def run_then_schedule() -> Any:
            try:
                return func()
            finally:
                schedule(name)

        TASKS[name] = Task(name, run_then_schedule, retry_intervals=(), **options)
        PERIODIC[name] = every
        SWEEPERS[f"{name} (every)"] = lambda: int(schedule(name, now=True))
        return func

    return register


def schedule(name: str, *, now: bool = False) -> bool:
    """Queue the periodic task's run at its next slot (``now``: at the current one,
    to start a chain); False if it is off or could not be queued."""
    seconds = PERIODIC[name]()
    if not seconds:
        return False
    moment = time.time()
    slot = math.floor(moment / seconds) + (0 if now else 1)
    delay = 0 if now else max(1, math.ceil(slot * seconds - moment))
    return enqueue(name, job_id=job_key(name, ("at", slot)), delay=delay)


def schedule_all() -> None:
    """Start every periodic task's chain (a run now, unless one is queued for it)."""
    for name in PERIODIC:
        schedule(name, now=True)


def sweep_all() -> dict[str, int]:
    """Queue again everything the database says is pending (Redis was down, a worker died)."""
    return {name: func() for name, func in SWEEPERS.items()}


# The app used by RQ work horses; set by `ivr worker` before it forks.
worker_app: Flask | None = None


def job_key(name: str, args: tuple[Any, ...]) -> str:
    """One job id per task and arguments, so the same work is never queued twice."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", "_".join([name, *map(str, args)]))


def run(name: str, *args: Any) -> Any:
    """Entry point of every RQ job: run the task in a fresh app context."""
    app = worker_app or current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        if os.getpid() != app.extensions.get("ivr.pid", os.getpid()):
            # A forked work horse must not share the parent's pooled connections.
            from ivr import db

            db.engine().dispose(close=False)
        try:
            return TASKS[name].func(*args)
        except Exception:
            from ivr.metrics import JOB_FAILURES

            JOB_FAILURES.labels(name).inc()
            raise


class RQJobs:
    def __init__(self, redis_url: str) -> None:
        from redis import Redis

        self.connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)

    def queue(self, name: str):
        from rq import Queue

        return Queue(name, connection=self.connection)

    def enqueue(self, name: str, *args: Any, job_id: str | None = None, delay: int = 0) -> bool:
        from datetime import timedelta

        from redis.exceptions import RedisError
        from rq import Retry
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        spec = TASKS[name]
        job_id = job_id or job_key(name, args)
        try:
            try:
                existing: Job | None = Job.fetch(job_id, connection=self.connection)
            except NoSuchJobError:
                existing = None
            # A job still waiting is not queued twice. One that started may belong to a
            # worker that died: run it again under a new id (the tasks are idempotent).
            if existing is not None:
                waiting = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
                if existing.get_status(refresh=False) in waiting:
                    return True
                job_id = f"{job_id}-{secrets.token_hex(4)}"
            queue = self.queue(spec.queue)
            # A delayed job waits in RQ's scheduled registry for a worker's scheduler.
            put = (
                functools.partial(queue.enqueue_in, timedelta(seconds=delay))
                if delay
                else queue.enqueue
            )
            put(
                run,
                name,
                *args,
                job_id=job_id,
                job_timeout=spec.timeout,
                failure_ttl=spec.failure_ttl,
                result_ttl=3600,
                retry=Retry(max=len(spec.retry_intervals), interval=list(spec.retry_intervals))
                if spec.retry_intervals
                else None,  # RQ refuses a Retry of none
            )
        except RedisError:
            log.exception("could not enqueue %s; it stays pending for `ivr jobs sweep`", name)
            return False
        return True

    def health(self) -> str:
        from redis.exceptions import RedisError

        try:
            self.connection.ping()
        except RedisError as exc:
            return f"error: {type(exc).__name__}"
        return "ok"


from ivr.jobs.embedded import EmbeddedJobs  # noqa: E402 - it uses the registry above


def init_app(app: Flask) -> None:
    """The app's queue; tasks are registered by the packages that define them."""
    settings = app.config["SETTINGS"]
    if settings.redis_url:
        jobs: RQJobs | EmbeddedJobs = RQJobs(settings.redis_url)
    else:
        jobs = EmbeddedJobs(app, backoff_scale=float(app.config.get("JOB_BACKOFF_SCALE", 1.0)))
    app.extensions["ivr.jobs"] = jobs
    app.extensions["ivr.pid"] = os.getpid()
    app.extensions.setdefault("ivr.health", {})["redis"] = jobs.health


def enqueue(name: str, *args: Any, job_id: str | None = None, delay: int = 0) -> bool:
    """Queue a task, to run ``delay`` seconds from now at the earliest."""
    return current_app.extensions["ivr.jobs"].enqueue(name, *args, job_id=job_id, delay=delay)


def start(app: Flask) -> None:
    """Serve the embedded queue on a background thread of this process (a web worker).

    Called by ivr.gunicorn once a worker has loaded the app; not by CLI commands,
    which only queue. Nothing to do with Redis: `ivr worker` serves RQ.
    """
    queue = getattr(app, "extensions", {}).get("ivr.jobs")
    if isinstance(queue, EmbeddedJobs):
        queue.start()


def stop(app: Flask, timeout: float = 5.0) -> None:
    """The process is ending: stop its queue thread without waiting for retries (also
    done at exit); a job it still runs is handed back to the other processes."""
    queue = getattr(app, "extensions", {}).get("ivr.jobs")
    if isinstance(queue, EmbeddedJobs):
        queue.stop(timeout, exiting=True)
