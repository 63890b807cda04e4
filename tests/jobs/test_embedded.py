"""The embedded job queue (no Redis): scheduled retries, quick stops, leases, claims."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from ivr import db, jobs
from ivr.jobs.embedded import EmbeddedJobs
from ivr.staff.models import User
from tests.jobs.conftest import TABLE, add_row, engine_of, job_rows, now


def failures(task: str) -> float:
    return REGISTRY.get_sample_value("ivr_job_failures_total", {"task": task}) or 0.0


def unreachable(signals):
    def download(n: int) -> None:
        signals.hit("unreachable")
        raise ConnectionError("media host unreachable")

    return download


def test_a_job_waiting_for_its_retry_does_not_hold_up_the_others(make_queue, register, signals):
    register("test.unreachable", unreachable(signals), retry_intervals=(600, 600))
    register("test.other", lambda n: signals.hit("other"))
    queue = make_queue()  # real back-off: the retry is ten minutes away
    engine = engine_of(queue.app)

    assert queue.enqueue("test.unreachable", 1)
    signals.wait("unreachable")
    assert queue.enqueue("test.other", 2)
    signals.wait("other", timeout=10)  # now, not after the retry
    queue.drain(timeout=5)  # returns at once: the retry is not due within it

    [row] = job_rows(engine)  # the other one is done and gone
    assert (row.task, row.status, row.attempts) == ("test.unreachable", "queued", 1)
    assert row.error == "ConnectionError: media host unreachable"
    assert row.lease_until is None and row.claim is None
    assert 590 < row.run_at - now(engine) <= 600  # scheduled, not slept


def test_stop_returns_at_once_while_a_retry_is_pending(make_queue, register, signals):
    register("test.unreachable", unreachable(signals), retry_intervals=(600,))
    queue = make_queue()
    queue.enqueue("test.unreachable", 1)
    signals.wait("unreachable")

    started = time.monotonic()
    assert queue.stop(timeout=5)
    assert time.monotonic() - started < 5
    [row] = job_rows(engine_of(queue.app))
    assert (row.status, row.attempts) == ("queued", 1)  # the retry is kept for later


def test_retries_are_counted_and_the_last_failure_is_kept(make_queue, register, signals):
    def flaky(n: int) -> None:
        if signals.hit("flaky") < 3:
            raise TimeoutError("try again")

    def broken(n: int) -> None:
        signals.hit("broken")
        raise ValueError("no such document")

    register("test.flaky", flaky, retry_intervals=(10, 30, 120))
    register("test.broken", broken, retry_intervals=(10, 30), failure_ttl=3600)
    queue = make_queue(backoff_scale=0.001, start=False)
    engine = engine_of(queue.app)
    before = failures("test.broken")

    queue.enqueue("test.flaky", 1)
    queue.enqueue("test.broken", 2)
    queue.drain(timeout=30)  # the retries are due within it: they run too

    assert signals.counts == Counter({"flaky": 3, "broken": 3})
    [row] = job_rows(engine)  # flaky succeeded on its third attempt: deleted
    assert (row.task, row.status, row.attempts) == ("test.broken", "failed", 3)
    assert row.error == "ValueError: no such document"
    assert 3590 < row.expires_at - now(engine) <= 3600
    assert failures("test.broken") - before == 3

    queue.enqueue("test.broken", 2)  # a failed job does not block queuing it again
    assert [r.status for r in job_rows(engine)] == ["failed", "queued"]


def test_drain_leaves_jobs_due_after_its_timeout(make_queue, register, signals):
    register("test.later", lambda: signals.hit("later"))
    queue = make_queue(start=False)
    queue.enqueue("test.later", delay=3600)
    started = time.monotonic()
    queue.drain(timeout=5)
    assert time.monotonic() - started < 5 and not signals.counts
    [row] = job_rows(engine_of(queue.app))
    assert row.status == "queued" and row.run_at - now(engine_of(queue.app)) > 3590


def test_jobs_left_by_a_dead_process_are_run_without_being_asked(make_queue, register, signals):
    register("test.orphan", lambda n: signals.hit(f"orphan{n}"), timeout=60)
    queue = make_queue(start=False)
    engine = engine_of(queue.app)
    # Queued by a process that died before running it, and one it died running.
    add_row(engine, "test.orphan", 1, run_at=now(engine) - 5)
    add_row(
        engine,
        "test.orphan",
        2,
        status="running",
        attempts=1,
        claim="0123456789abcdef",
        lease_until=now(engine) - 1,
    )
    queue.start()  # as a surviving or restarted web worker does
    signals.wait("orphan1")
    signals.wait("orphan2")
    queue.drain(timeout=10)
    assert job_rows(engine) == []


def test_a_job_under_a_live_lease_waits_for_the_lease(make_queue, register, signals):
    engine = None
    ran_at: list[float] = []

    def task() -> None:
        ran_at.append(now(engine))
        signals.hit("ran")

    register("test.leased", task)
    queue = make_queue(start=False)
    engine = engine_of(queue.app)
    lease_until = now(engine) + 1.5
    add_row(
        engine, "test.leased", status="running", attempts=1, claim="c" * 16, lease_until=lease_until
    )
    queue.start()
    signals.wait("ran")
    assert ran_at[0] >= lease_until


def test_a_job_whose_process_died_on_every_attempt_is_given_up(make_queue, register, signals):
    register("test.fatal", lambda: signals.hit("fatal"), retry_intervals=(5,))
    queue = make_queue(start=False)
    engine = engine_of(queue.app)
    add_row(
        engine, "test.fatal", status="running", attempts=2, claim="d" * 16, lease_until=now(engine)
    )
    queue.drain(timeout=10)
    assert not signals.counts  # a third run would take a third process down with it
    [row] = job_rows(engine)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "ended during each of its 2 attempts" in row.error


def test_two_queues_on_one_database_run_each_job_once(make_queue, register):
    count = 40
    lock = threading.Lock()
    running: set[int] = set()
    runs: Counter[int] = Counter()
    overlaps: list[int] = []
    all_done = threading.Event()

    def work(n: int) -> None:
        with lock:
            if n in running:
                overlaps.append(n)
            running.add(n)
            runs[n] += 1
        threading.Event().wait(0.005)  # a little work, so the claims interleave
        with lock:
            running.discard(n)
            if runs.total() >= count:
                all_done.set()

    register("test.work", work)
    first, second = make_queue(), make_queue()  # two engines, as two processes have
    for n in range(count):
        (first if n % 2 else second).enqueue("test.work", n)
    assert all_done.wait(60)
    first.drain(timeout=30)
    assert overlaps == []
    assert runs == Counter(range(count))
    assert job_rows(engine_of(first.app)) == []


def test_only_one_of_two_simultaneous_claims_wins(make_queue, register):
    register("test.noop", lambda n: None)
    first, second = make_queue(start=False), make_queue(start=False)
    for attempt in range(15):
        first.enqueue("test.noop", attempt)
        barrier = threading.Barrier(2)
        claimed: dict[int, object] = {}

        def claim(index: int, queue: EmbeddedJobs, barrier=barrier, claimed=claimed) -> None:
            barrier.wait(timeout=10)
            claimed[index] = queue._claim()

        threads = [
            threading.Thread(target=claim, args=(i, q)) for i, q in enumerate((first, second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        winners = [job for job in claimed.values() if job is not None]
        assert len(claimed) == 2 and len(winners) == 1, claimed
        first._execute(winners[0])
    assert job_rows(engine_of(first.app)) == []


def test_queued_again_while_running_it_runs_once_more_after_not_beside(
    make_queue, register, signals
):
    gate = threading.Event()
    lock = threading.Lock()
    running: list[int] = []
    overlaps: list[int] = []

    def slow(n: int) -> None:
        with lock:
            overlaps.extend(running)
            running.append(n)
        try:
            if signals.hit("slow") == 1:
                assert gate.wait(30)
        finally:
            with lock:
                running.remove(n)

    register("test.slow", slow)
    first, second = make_queue(), make_queue()
    engine = engine_of(first.app)
    first.enqueue("test.slow", 7)
    signals.wait("slow#1")

    assert second.enqueue("test.slow", 7)  # new work committed while it runs
    [row] = job_rows(engine)  # no second row beside the running one
    assert row.status == "running" and row.again_at is not None

    gate.set()
    signals.wait("slow#2")
    first.drain(timeout=30)
    assert signals.counts["slow"] == 2 and overlaps == []
    assert job_rows(engine) == []


def test_a_job_queued_twice_while_waiting_runs_once(make_queue, register, signals):
    register("test.once", lambda n: signals.hit("once"))
    first, second = make_queue(start=False), make_queue(start=False)
    assert first.enqueue("test.once", 3)
    assert second.enqueue("test.once", 3)
    assert first.enqueue("test.once", 3, job_id=jobs.job_key("test.once", (3,)))  # spelled out
    assert len(job_rows(engine_of(first.app))) == 1
    first.drain(timeout=10)
    assert signals.counts["once"] == 1


def test_enqueue_commits_its_own_row_and_not_the_callers_session(make_queue, register):
    register("test.here", lambda n: None)
    queue = make_queue(start=False)
    with queue.app.app_context():
        session = db.session()
        session.add(User(username="not-committed", role="staff"))
        assert jobs.enqueue("test.here", 1)
        assert session.new  # still pending in the caller's session
        session.rollback()
        count = select(func.count()).select_from(User).where(User.username == "not-committed")
        assert session.scalar(count) == 0
    assert [r.task for r in job_rows(engine_of(queue.app))] == ["test.here"]


def test_failed_jobs_are_deleted_after_their_failure_ttl(make_queue, register):
    queue = make_queue(start=False)
    engine = engine_of(queue.app)
    add_row(engine, "test.old", 1, status="failed", attempts=5, expires_at=now(engine) - 1)
    add_row(engine, "test.recent", 2, status="failed", attempts=5, expires_at=now(engine) + 60)
    queue._purge()
    assert [r.task for r in job_rows(engine)] == ["test.recent"]


def test_in_a_rolled_back_test_transaction_jobs_run_in_drain(app, register, signals):
    """The `app` fixture shares one connection: no thread may use it, drain runs the jobs."""
    register("test.inline", lambda n: signals.hit(f"inline{n}"))
    queue = app.extensions["ivr.jobs"]
    with app.app_context():
        assert jobs.enqueue("test.inline", 1)
    with pytest.raises(RuntimeError, match="drain"):
        queue.start()
    queue.drain(timeout=10)
    assert signals.counts == Counter({"inline1": 1})
    assert signals.threads == [threading.current_thread().name]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(TABLE)) == 0


def test_a_task_this_version_does_not_know_is_left_to_one_that_does(make_queue):
    queue = make_queue(start=False)
    engine = engine_of(queue.app)
    add_row(engine, "test.from-a-newer-version", 1, run_at=now(engine) - 1)
    queue.drain(timeout=5)
    [row] = job_rows(engine)
    assert (row.status, row.attempts) == ("queued", 0)
