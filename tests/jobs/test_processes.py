"""The embedded queue in real processes: a process exits at once with a retry pending, and
a gunicorn server without Redis (as `scripts/serve`) runs and retries jobs on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ivr.settings import ROOT
from ivr.simulator import http_transport
from tests.harness import app_environ
from tests.harness import wait_until as wait_for
from tests.jobs.conftest import TABLE
from tests.resilience.helpers import phone, rows

EXITING = """
import threading
from ivr import jobs
from ivr.app import create_app

failed = threading.Event()


@jobs.task("test.exit.unreachable", retry_intervals=(600,))
def unreachable():
    failed.set()
    raise ConnectionError("the media host is down")


app = create_app()
jobs.start(app)
with app.app_context():
    jobs.enqueue("test.exit.unreachable")
assert failed.wait(60), "the job never ran"
print("failed once, exiting", flush=True)
"""


def test_a_process_exits_at_once_while_a_retry_is_pending(database_url, clean_tables, tmp_path):
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        **app_environ(database_url, tmp_path),
    }
    with subprocess.Popen(
        [sys.executable, "-c", EXITING],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        try:
            output = []
            for line in proc.stdout:
                output.append(line)
                if line.startswith("failed once"):
                    break
            started = time.monotonic()
            status = proc.wait(timeout=30)
            took = time.monotonic() - started
            output.append(proc.stdout.read())
        finally:
            proc.kill()
    assert status == 0, "".join(output)
    assert took < 5, f"exit took {took:.1f} s"
    [(state, attempts)] = rows(clean_tables, f"SELECT status, attempts FROM {TABLE.name}")
    assert (state, attempts) == ("queued", 1)  # the retry waits for another process


MESSAGE = "SELECT download_status, download_attempts, transcript_status FROM voicemails"


@pytest.mark.slow
def test_a_server_without_redis_runs_and_retries_jobs_and_stops_at_once(
    launcher, clean_tables, media
):
    [server] = launcher.servers(1, None)  # two gunicorn workers, jobs in the database
    transport = http_transport(server.base_url)

    # The download fails once: it is retried 5 s later, with no request to prompt it.
    media.failures_left["corrupt"] = 1
    assert phone(transport, recording_url=media.url("corrupt")).call(["2", "1"]).verbs("record")
    wait_for(
        lambda: rows(clean_tables, MESSAGE) == [("downloaded", 2, "failed")],
        60,
        "the download's retry and the transcription (of audio that is not audio)",
        poll=0.2,
        watch=(server,),
    )
    assert media.hits["corrupt"] == 2
    wait_for(lambda: not rows(clean_tables, f"SELECT id FROM {TABLE.name}"), 10, "done jobs")

    # A download that keeps failing: its retry is pending when the server is stopped.
    media.failures_left["ko_dual_8k"] = 100
    assert phone(transport, recording_url=media.url("ko_dual_8k")).call(["2", "1"]).verbs("record")
    wait_for(
        lambda: rows(clean_tables, f"SELECT status, attempts FROM {TABLE.name}") == [("queued", 1)],
        60,
        "the first attempt to fail",
        poll=0.2,
        watch=(server,),
    )
    started = time.monotonic()
    server.signal_stop()
    server.wait(timeout=30)
    assert time.monotonic() - started < 8, server.tail()  # gunicorn's graceful_timeout is 10 s
    assert "database unavailable" not in server.output(), server.tail()
