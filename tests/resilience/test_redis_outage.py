"""Redis stops during calls: callers are still answered, and no message is lost."""

from __future__ import annotations

import re

import pytest

from ivr.simulator import http_transport
from tests.resilience.helpers import phone, rows

SAVED = "您的留言已保存，我们将尽快给您答复。"
MESSAGE = (
    "SELECT recording_sid, state, media_url, download_status, transcript_status, "
    "transcript_text FROM voicemails"
)


@pytest.mark.slow
def test_calls_and_voicemail_survive_a_redis_outage(private_redis, launcher, clean_tables, media):
    [server] = launcher.servers(1, private_redis.url)
    assert server.healthz()[1]["checks"]["redis"] == "ok"
    private_redis.stop()
    status, health = server.healthz()
    assert status == 503 and health["checks"]["redis"].startswith("error")

    # While Redis is down: menus answer, and a voicemail is recorded and confirmed.
    transport = http_transport(server.base_url)
    menu = phone(transport).call(["1", "2", "*"])
    assert menu.ended_by == "caller hung up" and len(menu.heard) >= 5
    message = phone(transport, recording_url=media.url("ko_caller_8k")).call(["2", "1"])
    assert SAVED in message.heard
    [(sid, state, url, download, transcript, _)] = rows(clean_tables, MESSAGE)
    assert (state, url, download, transcript) == (
        "recorded",
        media.url("ko_caller_8k"),
        "pending",  # stored; its download could not be queued
        "pending",
    )
    assert "could not enqueue" in server.output()
    assert rows(clean_tables, "SELECT count(*) FROM calls")[0][0] == 2
    assert media.hits["ko_caller_8k"] == 0

    # Redis is back (empty: it kept nothing). A worker sweeps at start: it queues the
    # download again, downloads, then transcribes. Once.
    private_redis.start()
    worker = launcher.ivr("worker", ["worker", "--burst"], private_redis.url)
    assert worker.wait(timeout=120) == 0, worker.tail()
    assert re.search(r"re-queued: .*\b1 recordings\b", worker.output()), worker.tail()
    [(_, state, _, download, transcript, text)] = rows(clean_tables, MESSAGE)
    assert (state, download, transcript) == ("recorded", "downloaded", "done"), worker.tail()
    assert text.strip()
    assert media.hits["ko_caller_8k"] == 1
    assert rows(clean_tables, "SELECT recording_sid FROM voicemails") == [(sid,)]
