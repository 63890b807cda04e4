"""The embedded job queue on the real (committing) test database, PostgreSQL or SQLite.

``make_queue()`` builds an app without Redis and returns its queue
(``EmbeddedJobs``), its thread started unless ``start=False``: two of them are
two processes' queues (each app has its own engine). Every queue is stopped and
the ``jobs`` table emptied when the test ends. ``register`` adds test tasks to
the registry for one test; ``Signals`` lets tests wait for what tasks did.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from ivr import db, jobs
from ivr.app import create_app
from ivr.jobs.embedded import EmbeddedJobs
from ivr.jobs.models import Job, db_now
from ivr.settings import load_settings
from tests.harness import app_environ

TABLE = Job.__table__


class Signals:
    """Named events and counters, set by test tasks on the queue's thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.events: dict[str, threading.Event] = {}
        self.threads: list[str] = []

    def event(self, name: str) -> threading.Event:
        with self.lock:
            return self.events.setdefault(name, threading.Event())

    def hit(self, name: str) -> int:
        """Count ``name``, and set the events ``name`` and ``name#N`` (the Nth hit)."""
        with self.lock:
            self.counts[name] += 1
            count = self.counts[name]
            self.threads.append(threading.current_thread().name)
        self.event(name).set()
        self.event(f"{name}#{count}").set()
        return count

    def wait(self, name: str, timeout: float = 15.0) -> None:
        assert self.event(name).wait(timeout), f"no {name!r} within {timeout} s"


@pytest.fixture
def signals() -> Signals:
    return Signals()


@pytest.fixture
def register() -> Iterator[Callable[..., None]]:
    names: list[str] = []

    def add(name: str, func: Callable[..., Any], **options: Any) -> None:
        jobs.task(name, **options)(func)
        names.append(name)

    yield add
    for name in names:
        jobs.TASKS.pop(name, None)


@pytest.fixture
def make_queue(database_url: str, tmp_path) -> Iterator[Callable[..., EmbeddedJobs]]:
    apps: list[Flask] = []

    def make(backoff_scale: float = 1.0, start: bool = True) -> EmbeddedJobs:
        app = create_app(
            {
                "SETTINGS": load_settings(app_environ(database_url, tmp_path)),
                "TESTING": True,
                "JOB_BACKOFF_SCALE": backoff_scale,
            }
        )
        apps.append(app)
        queue = app.extensions["ivr.jobs"]
        assert isinstance(queue, EmbeddedJobs)
        if start:
            queue.start()
        return queue

    yield make
    stopped = [app.extensions["ivr.jobs"].stop(timeout=30) for app in apps]
    if apps:
        with engine_of(apps[0]).begin() as conn:
            conn.execute(delete(TABLE))
    for app in apps:
        engine_of(app).dispose()
    assert all(stopped), "a queue thread did not stop"


def engine_of(app: Flask) -> Engine:
    with app.app_context():
        return db.engine()


def now(engine: Engine) -> float:
    """The database's clock, which the queue goes by."""
    with engine.connect() as conn:
        return conn.execute(select(db_now())).scalar_one()


def job_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(TABLE).order_by(TABLE.c.id)))


def add_row(engine: Engine, task: str, *args: Any, **values: Any) -> None:
    """A row as another process (perhaps dead by now) would have left it."""
    row = {
        "job_key": jobs.job_key(task, args),
        "task": task,
        "queue": "default",
        "args": list(args),
        "status": "queued",
        "run_at": now(engine),
        "worker": "elsewhere:1",
        "attempts": 0,
        "error": "",
        "created_at": now(engine),
        **values,
    }
    with engine.begin() as conn:
        conn.execute(insert(TABLE).values(**row))
