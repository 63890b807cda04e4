"""An RQ worker killed in the middle of a transcription loses nothing and doubles nothing."""

from __future__ import annotations

import contextlib
import os
import re
import time

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from ivr.simulator import flask_transport
from tests.harness import PUBLIC_URL, cpu_seconds, descendants, gone, wait_until
from tests.resilience.helpers import long_wav, phone, rows

DECODING_CPU = 1.0  # seconds; the whole transcription takes several
MESSAGE = (
    "SELECT id, download_status, transcript_status, transcript_text, transcribed_at FROM voicemails"
)


def work_horses(worker_pid: int) -> list[int]:
    """The worker's work horses: RQ puts each in a process group of its own."""
    found = []
    for pid in descendants(worker_pid):
        with contextlib.suppress(ProcessLookupError):
            if os.getpgid(pid) == pid:
                found.append(pid)
    return found


def status(job_id: str, connection: Redis) -> JobStatus:
    return Job.fetch(job_id, connection=connection).get_status()


@pytest.mark.slow
def test_worker_killed_during_transcription_another_finishes_it_once(
    private_redis, launcher, clean_tables, web_app, media, tmp_path
):
    # A message of ~15 s of two-channel audio: several seconds of decoding.
    media.files["long"] = long_wav(tmp_path / "long.wav", copies=2)
    web = web_app(REDIS_URL=private_redis.url)
    transport = flask_transport(web.test_client(), PUBLIC_URL)
    call = phone(transport, recording_url=media.url("long")).call(["2", "1"])  # any hour
    assert call.verbs("record")
    [(message_id, download, *_)] = rows(clean_tables, MESSAGE)
    assert download == "pending"  # queued in Redis; no worker yet

    connection = private_redis.client()
    started = StartedJobRegistry("transcribe", connection=connection)
    worker_a = launcher.ivr("worker-a", ["worker"], private_redis.url)
    [job_id] = wait_until(
        lambda: started.get_job_ids(cleanup=False),
        120,
        "worker A to start the transcription",
        watch=(worker_a,),
    )
    name_a = Job.fetch(job_id, connection=connection).worker_name
    # Well into decoding: RQ forks a work horse for the job (from the worker, which had
    # loaded the model) and the horse has spent DECODING_CPU seconds of CPU on it.
    [horse] = wait_until(
        lambda: work_horses(worker_a.pid), 30, "worker A's work horse", watch=(worker_a,)
    )
    wait_until(
        lambda: cpu_seconds(horse) >= DECODING_CPU,
        120,
        f"worker A's work horse to decode for {DECODING_CPU:g} s of CPU",
        poll=0.05,
        watch=(worker_a,),
    )
    [(_, download, transcript, *_)] = rows(clean_tables, MESSAGE)
    assert (download, transcript) == ("downloaded", "pending")

    # SIGKILL: the worker's process group, and the work horse (RQ gives it a group of its own).
    others = descendants(worker_a.pid)
    worker_a.kill()
    wait_until(lambda: all(gone(pid) for pid in others), 10, "worker A's processes to die")
    assert gone(horse)
    assert status(job_id, connection) == JobStatus.STARTED  # abandoned, as after a crash
    [(_, _, transcript, text, _)] = rows(clean_tables, MESSAGE)
    assert (transcript, text) == ("pending", "")  # nothing half-written

    # Worker B sweeps at start (the message is still "pending") and transcribes it.
    worker_b = launcher.ivr("worker-b", ["worker"], private_redis.url)
    wait_until(
        lambda: rows(clean_tables, MESSAGE)[0][2] != "pending",
        120,
        "worker B to transcribe",
        poll=0.25,
        watch=(worker_b,),
    )
    [(_, _, transcript, text, transcribed_at)] = rows(clean_tables, MESSAGE)
    assert transcript == "done" and text.strip(), worker_b.tail()
    assert re.search(r"re-queued: .*\b1 recordings\b", worker_b.output())  # start-up sweep
    finished = FinishedJobRegistry("transcribe", connection=connection)
    [done_id] = wait_until(lambda: finished.get_job_ids(cleanup=False), 30, "job B finished")
    assert done_id != job_id
    assert Job.fetch(done_id, connection=connection).worker_name not in ("", None, name_a)

    # RQ's abandoned-job handling, fast-forwarded past the dead worker's heartbeat: the
    # orphan is retried (scheduled 30 s on; run it now). It must not transcribe again.
    started.cleanup(timestamp=time.time() + 3600)
    orphan = Job.fetch(job_id, connection=connection)
    assert orphan.get_status() in (JobStatus.SCHEDULED, JobStatus.QUEUED)
    queue = Queue("transcribe", connection=connection)
    if orphan.get_status() == JobStatus.SCHEDULED:
        ScheduledJobRegistry(queue=queue).remove(orphan)
        queue.enqueue_job(orphan)
    wait_until(
        lambda: status(job_id, connection) == JobStatus.FINISHED,
        60,
        "the retried orphan",
        watch=(worker_b,),
    )
    assert rows(clean_tables, MESSAGE) == [
        (message_id, "downloaded", "done", text, transcribed_at)  # untouched: exactly once
    ]
    assert media.hits["long"] == 1
    assert "Traceback" not in worker_b.output(), worker_b.tail()
    worker_b.stop()
    assert not worker_b.alive()


@pytest.mark.slow
def test_a_worker_pool_shares_the_model_and_does_each_job_once(
    private_redis, launcher, clean_tables, web_app, media
):
    web = web_app(REDIS_URL=private_redis.url)
    transport = flask_transport(web.test_client(), PUBLIC_URL)
    for _ in range(3):
        assert (
            phone(transport, recording_url=media.url("ko_caller_8k"))
            .call(["2", "1"])
            .verbs("record")
        )
    pool = launcher.ivr("pool", ["worker", "--processes", "2", "--burst"], private_redis.url)
    assert pool.wait(timeout=180) == 0, pool.tail()
    assert "starting 2 worker processes" in pool.output()
    # Two RQ workers, forked from the process that loaded the model.
    workers = set(re.findall(r"Starting worker started with PID (\d+)", pool.output()))
    assert len(workers) == 2 and str(pool.pid) not in workers, pool.tail()
    messages = rows(clean_tables, MESSAGE)
    assert len(messages) == 3
    assert {(d, t) for _, d, t, _, _ in messages} == {("downloaded", "done")}, pool.tail()
    assert all(text.strip() for *_, text, _ in messages)
    assert media.hits["ko_caller_8k"] == 3  # each recording downloaded once
