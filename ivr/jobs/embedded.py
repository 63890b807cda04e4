"""The embedded job queue: the ``jobs`` table in the app's own database, no Redis.

The default without REDIS_URL, the same on SQLite and PostgreSQL (README,
"Jobs"): ``enqueue`` writes a row in a short transaction of its own (enqueue
after your commit), one queued-or-running row per job key. Each web worker
runs one daemon thread (``start``, from ivr.gunicorn) that claims due rows,
``events`` before ``default`` before ``transcribe``, under a lease of the
task's ``timeout`` by the database's clock (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; an ``UPDATE`` that re-checks the row on both), so no job runs
twice at once and one whose process died runs again when its lease ends. A
failure is retried by setting ``run_at``, never by sleeping; after the last
attempt the row stays ``failed`` for ``failure_ttl``. ``stop``/exit never
wait for retries. The thread starts the periodic tasks' chains
(``ivr.jobs.periodic``). Tests do not start the thread; ``drain`` runs due
jobs on the caller's thread.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import secrets
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask
from sqlalchemy import Table, and_, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ivr import jobs as registry  # the task registry (ivr/jobs/__init__.py)
from ivr.jobs.models import Job, db_now

log = logging.getLogger("ivr.jobs")

QUEUES = ("events", "default", "transcribe")  # served in this order, as by `ivr worker`
POLL_INTERVAL = 1.0  # seconds between looks at the table when nothing was queued here
PURGE_INTERVAL = 600.0  # seconds between deletions of failed jobs past their failure_ttl
EXIT_WAIT = 2.0  # seconds a stopping process gives the job it is running
MAX_KEY = 255

jobs = cast(Table, Job.__table__)


@dataclass(frozen=True)
class Claimed:
    id: int
    task: str
    args: tuple[Any, ...]
    attempt: int  # 1 for the first run
    token: str  # this run's claim: only it may settle the row


class EmbeddedJobs:
    def __init__(self, app: Flask, backoff_scale: float = 1.0) -> None:
        self.app = app
        self.backoff_scale = backoff_scale
        self.poll_interval = POLL_INTERVAL
        self._wake = threading.Event()  # a job was queued in this process, or stop
        self._finished = threading.Event()  # a job ended in this process (for drain)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._running: dict[str, Claimed] = {}  # token -> job running in this process

    # --- the public API (as RQJobs) -------------------------------------------------
    def enqueue(self, name: str, *args: Any, job_id: str | None = None, delay: int = 0) -> bool:
        """Queue a task to run ``delay`` seconds from now at the earliest; False if the
        database refused (the work stays pending for ``ivr jobs sweep``)."""
        spec = registry.TASKS[name]
        key = _fit(job_id or registry.job_key(name, args))
        at = db_now() + delay * self.backoff_scale
        insert = (postgresql.insert if self._dialect() == "postgresql" else sqlite.insert)(jobs)
        try:
            with self._sessions().begin() as session:
                # Running now, it may have read the database before the caller's commit:
                # it runs once more when it ends (not beside itself).
                again = session.execute(
                    update(jobs)
                    .where(jobs.c.job_key == key, jobs.c.status == "running")
                    .values(
                        again_at=case(
                            (or_(jobs.c.again_at.is_(None), jobs.c.again_at > at), at),
                            else_=jobs.c.again_at,
                        )
                    )
                ).rowcount
                if not again:  # queued already (waiting or scheduled): nothing to add
                    session.execute(
                        insert.values(
                            job_key=key,
                            task=name,
                            queue=spec.queue,
                            args=list(args),
                            status="queued",
                            run_at=at,
                            worker="",
                            attempts=0,
                            error="",
                            created_at=db_now(),
                        ).on_conflict_do_nothing()
                    )
        except SQLAlchemyError as exc:
            log.warning(
                "could not queue %s (%s); it stays pending for `ivr jobs sweep`", name, _brief(exc)
            )
            return False
        self._wake.set()
        return True

    def drain(self, timeout: float = 120) -> None:
        """Run here every job due now or within ``timeout`` seconds (retries included,
        and the jobs they queue), and wait for those running in other threads or
        processes. Jobs due later stay queued. For tests and one-off commands.

        Raises TimeoutError if jobs are still running or due when the time is up.
        """
        deadline = time.monotonic() + timeout
        while True:
            self._finished.clear()
            job = self._claim()
            if job is not None:
                self._execute(job)
                continue
            left = deadline - time.monotonic()
            pause = self._pause(max(left, 0.0))
            if pause is None:
                return
            if left <= 0:
                raise TimeoutError(f"jobs still running or due after {timeout} s")
            self._finished.wait(min(pause, left))

    def health(self) -> str:
        return "not configured (jobs queued in the database)"

    # --- the thread of a web worker ---------------------------------------------------
    def start(self) -> None:
        """Serve the queue on a daemon thread of this process (idempotent)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            if isinstance(self._sessions().kw.get("bind"), Connection):
                raise RuntimeError(
                    "the app's sessions share one connection: no thread may use it; "
                    "run the jobs with drain()"
                )
            self._stopping.clear()
            self._thread = threading.Thread(target=self._serve, name="ivr-jobs", daemon=True)
            self._thread.start()
            _STARTED.add(self)

    def stop(self, timeout: float = 5.0, *, exiting: bool = False) -> bool:
        """Stop the thread; True once it has, within ``timeout`` seconds.

        Scheduled retries do not hold it. A job it is still running keeps its
        lease (another process runs it again once the lease is over), unless
        ``exiting``: the process is about to end, and the job with it, so its lease
        ends now and another process takes it at once.
        """
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        stopped = thread is None or not thread.is_alive()
        if exiting and not stopped:
            self._end_leases()
        return stopped

    def _serve(self) -> None:
        trouble = 0
        purge_at = 0.0
        periodic_started = False
        while not self._stopping.is_set():
            self._wake.clear()
            job = None
            try:
                if not periodic_started:  # e.g. the watched folder of recordings
                    with self.app.app_context():
                        registry.schedule_all()
                    periodic_started = True
                if time.monotonic() >= purge_at:
                    self._purge()
                    purge_at = time.monotonic() + PURGE_INTERVAL
                job = self._claim()
                if job is not None:
                    self._execute(job)
            except SQLAlchemyError as exc:
                trouble += 1
                if trouble == 1:
                    log.warning("job queue: database unavailable (%s); trying again", _brief(exc))
                self._stopping.wait(min(30.0, self.poll_interval * 2 ** min(trouble, 5)))
                continue
            except Exception:  # noqa: BLE001 - the thread must outlive any surprise
                log.exception("job queue: unexpected error")
                self._stopping.wait(self.poll_interval)
                continue
            if trouble:
                log.warning("job queue: database reachable again")
                trouble = 0
            if job is None:
                self._wake.wait(self.poll_interval)

    # --- claiming, running and settling one job -------------------------------------
    def _claim(self) -> Claimed | None:
        """Take the first due job (or one whose lease is over) with a lease of its timeout."""
        now = db_now()
        due = or_(
            and_(jobs.c.status == "queued", jobs.c.run_at <= now),
            and_(jobs.c.status == "running", jobs.c.lease_until < now),  # its process died
        )
        first = case({q: i for i, q in enumerate(QUEUES)}, value=jobs.c.queue, else_=len(QUEUES))
        postgres = self._dialect() == "postgresql"
        query = (
            select(jobs.c.id, jobs.c.task, jobs.c.args, jobs.c.attempts)
            # A task this version does not know (a rolling deploy) is left to one that does.
            .where(due, jobs.c.task.in_(list(registry.TASKS)))
            .order_by(first, jobs.c.run_at, jobs.c.id)
            .limit(1 if postgres else 8)
        )
        if postgres:  # other claimers skip this row until we commit
            query = query.with_for_update(skip_locked=True)
        with self._sessions().begin() as session:
            for row in session.execute(query).all():
                spec = registry.TASKS.get(row.task)
                token = secrets.token_hex(8)
                won = session.execute(
                    update(jobs)
                    .where(jobs.c.id == row.id, jobs.c.attempts == row.attempts, due)
                    .values(
                        status="running",
                        claim=token,
                        lease_until=now + (spec.timeout if spec else 60),
                        attempts=row.attempts + 1,
                        worker=f"{socket.gethostname()}:{os.getpid()}"[:200],
                    )
                ).rowcount
                if won == 1:
                    return Claimed(row.id, row.task, tuple(row.args), row.attempts + 1, token)
        return None

    def _execute(self, job: Claimed) -> None:
        spec = registry.TASKS.get(job.task)
        limit = 1 + len(spec.retry_intervals) if spec else 0
        try:
            if spec is None or job.attempt > limit:
                why = (
                    f"unknown task {job.task!r}"
                    if spec is None
                    else f"its process ended during each of its {limit} attempts"
                )
                log.error("job %s%s given up: %s", job.task, list(job.args), why)
                self._settle(job, spec, error=why, final=True)
                return
            self._running[job.token] = job
            try:
                with self.app.app_context():
                    spec.func(*job.args)
            except Exception as exc:  # noqa: BLE001 - a job failure must not kill the thread
                from ivr.metrics import JOB_FAILURES

                JOB_FAILURES.labels(job.task).inc()
                final = job.attempt >= limit
                log.exception(
                    "job %s failed (attempt %d of %d%s)",
                    job.task,
                    job.attempt,
                    limit,
                    "; giving up" if final else "",
                )
                self._settle(job, spec, error=f"{type(exc).__name__}: {exc}", final=final)
            else:
                self._settle(job, spec, error=None, final=True)
            finally:
                self._running.pop(job.token, None)
        finally:
            self._finished.set()

    def _settle(self, job: Claimed, spec: Any, error: str | None, final: bool) -> None:
        """Delete a job done, schedule a retry, or keep it as failed; only under our claim."""
        mine = and_(jobs.c.id == job.id, jobs.c.claim == job.token)
        released = {"status": "queued", "lease_until": None, "claim": None, "again_at": None}
        with self._sessions().begin() as session:
            if error is None:  # done, unless queued again while it ran
                settled = session.execute(delete(jobs).where(mine, jobs.c.again_at.is_(None)))
                if not settled.rowcount:
                    settled = session.execute(
                        update(jobs)
                        .where(mine)
                        .values(**released, run_at=jobs.c.again_at, attempts=0, error="")
                    )
            elif not final:  # scheduled, not slept: the thread goes on to other jobs
                pause = spec.retry_intervals[job.attempt - 1] * self.backoff_scale
                retry_at = db_now() + pause
                settled = session.execute(
                    update(jobs)
                    .where(mine)
                    .values(
                        **released,
                        run_at=case((jobs.c.again_at < retry_at, jobs.c.again_at), else_=retry_at),
                        error=error[:2000],
                    )
                )
            else:  # given up on: kept for inspection, unless queued again (a fresh start)
                settled = session.execute(
                    update(jobs)
                    .where(mine, jobs.c.again_at.is_not(None))
                    .values(**released, run_at=jobs.c.again_at, attempts=0, error=error[:2000])
                )
                if not settled.rowcount:
                    ttl = spec.failure_ttl if spec else registry.Task.failure_ttl
                    settled = session.execute(
                        update(jobs)
                        .where(mine)
                        .values(
                            status="failed",
                            lease_until=None,
                            claim=None,
                            error=error[:2000],
                            expires_at=db_now() + ttl,
                        )
                    )
        if not settled.rowcount:
            log.warning(
                "job %s%s ran past its lease (%s s) and was taken over",
                job.task,
                list(job.args),
                spec.timeout if spec else "?",
            )

    # --- housekeeping ---------------------------------------------------------------
    def _pause(self, within: float) -> float | None:
        """Seconds to wait before looking again (for drain); None if nothing is running
        or falls due within ``within`` seconds."""
        queued = jobs.c.status == "queued"
        with self._sessions()() as session:
            next_at, running, now = session.execute(
                select(
                    func.min(case((queued, jobs.c.run_at))),
                    func.count(case((jobs.c.status == "running", 1))),
                    db_now(),
                ).where(jobs.c.task.in_(list(registry.TASKS)))  # others are not ours to wait for
            ).one()
        if running:  # in another thread or process; or its lease ends and we claim it
            return 0.05
        if next_at is None or next_at - now > within:
            return None
        return max(next_at - now, 0.01)

    def _purge(self) -> None:
        with self._sessions().begin() as session:
            session.execute(
                delete(jobs).where(jobs.c.status == "failed", jobs.c.expires_at < db_now())
            )

    def _end_leases(self) -> None:
        """The process ends: the jobs it runs are over, let another process take them now."""
        tokens = list(self._running)
        if not tokens:
            return
        try:
            with self._sessions().begin() as session:
                session.execute(
                    update(jobs)
                    .where(jobs.c.claim.in_(tokens), jobs.c.status == "running")
                    .values(lease_until=db_now())
                )
        except SQLAlchemyError as exc:
            log.warning("job queue: could not hand back %d job(s): %s", len(tokens), _brief(exc))

    def _sessions(self) -> sessionmaker[Session]:
        # Looked up each time: the test fixture binds the app to one connection after
        # create_app. Each use is a short transaction of its own.
        return self.app.extensions["ivr.db"]

    def _dialect(self) -> str:
        return self._sessions().kw["bind"].dialect.name


def _fit(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    return f"{key[:190]}-{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def _brief(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# Queues whose thread runs in this process: stopped at exit, without waiting for retries.
_STARTED: weakref.WeakSet[EmbeddedJobs] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for queue in list(_STARTED):
        queue.stop(EXIT_WAIT, exiting=True)
