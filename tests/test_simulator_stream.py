"""The simulated phone plays <Connect><Stream> as the platform does, against a real WebSocket server."""

from __future__ import annotations

import base64
import json
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import click
import pytest
from click.testing import CliRunner
from twilio.request_validator import RequestValidator
from websockets.datastructures import Headers
from websockets.http11 import Response
from websockets.sync.server import ServerConnection, serve

from ivr import mulaw
from ivr.cli import call_keys, main
from ivr.simulator import MediaStreams, Phone
from ivr.simulator.utterance import SpeechUnavailable, ulaw_audio
from tests.harness import wait_until

# The simulator's --say speaks with espeak-ng; every other test plays committed recordings.
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng is not installed: --say speaks with it (apt-get install espeak-ng)",
)
PUBLIC = "https://hotline.example.cn"
STREAM_URL = "wss://hotline.example.cn/voice/stream"
TOKEN = "auth-token-for-streams"
MENU = f"""<Response>
<Gather action="{PUBLIC}/voice/input" numDigits="1" timeout="2">
<Say language="ko-KR">연금은 1번</Say></Gather>
<Connect><Stream url="{STREAM_URL}">
<Parameter name="token" value="t0k3n"/><Parameter name="attempt" value="1"/>
</Stream></Connect>
<Redirect>{PUBLIC}/voice/result</Redirect>
</Response>"""
TWIML = {
    "/voice/incoming": MENU,
    "/voice/input": "<Response><Say>keys</Say><Hangup/></Response>",
    "/voice/result": "<Response><Say>result</Say><Hangup/></Response>",
    "/voice/status": "<Response/>",
}


def transport(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
    """The webhooks' side: fixed TwiML per path."""
    return 200, TWIML[url.removeprefix(PUBLIC)]


@dataclass
class Received:
    """What the media server saw of each stream: the upgrade's headers and timed messages."""

    headers: Headers = field(default_factory=Headers)
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def events(self, name: str) -> list[dict[str, Any]]:
        return [m for _, m in self.messages if m["event"] == name]

    def audio(self) -> bytes:
        return b"".join(base64.b64decode(m["media"]["payload"]) for m in self.events("media"))


@contextmanager
def media_server(
    done: Callable[[Received], bool], refuse: int = 0, close_code: int = 1000
) -> Iterator[tuple[str, list[Received]]]:
    """A WebSocket server on a free port that closes each stream once ``done`` says so."""
    streams: list[Received] = []

    def handler(ws: ServerConnection) -> None:
        seen = Received(ws.request.headers if ws.request else Headers())
        streams.append(seen)
        for raw in ws:
            seen.messages.append((time.monotonic(), json.loads(raw)))
            if done(seen):
                ws.close(close_code)
                return

    def process_request(ws: ServerConnection, request) -> Response | None:
        return ws.respond(refuse, "refused\n") if refuse else None

    # max_queue=None: frames the fast phone sent before it saw the close must not block
    # the server from reading the phone's answer to its close.
    with serve(handler, "127.0.0.1", 0, process_request=process_request, max_queue=None) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}", streams
        finally:
            server.shutdown()
            thread.join()


def after_media(frames: int) -> Callable[[Received], bool]:
    return lambda seen: len(seen.events("media")) >= frames


def phone(streams: MediaStreams) -> Phone:
    return Phone(transport, PUBLIC, TOKEN, streams=streams)


@needs_espeak
def test_the_caller_says_a_phrase_in_20_ms_mulaw_frames_then_the_call_goes_on() -> None:
    spoken = ulaw_audio("연금", "ko-KR")
    frames = -(-len(spoken) // 160) + 10  # the phrase, then 200 ms of silence
    with media_server(after_media(frames)) as (url, streams):
        played = MediaStreams(fast=True, media_url=url)
        record = phone(played).call(["@연금"])

    (seen,) = streams
    assert [m["event"] for _, m in seen.messages[:3]] == ["connected", "start", "media"]
    connected, start = seen.messages[0][1], seen.messages[1][1]
    assert connected == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert start["sequenceNumber"] == "1" and start["streamSid"].startswith("MZ")
    assert start["start"] == {
        "accountSid": "AC" + "0" * 32,
        "callSid": record.sid,
        "streamSid": start["streamSid"],
        "tracks": ["inbound"],
        "customParameters": {"token": "t0k3n", "attempt": "1"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }
    media = seen.events("media")
    assert len(media) == frames
    assert [m["sequenceNumber"] for m in media] == [str(n) for n in range(2, frames + 2)]
    assert [m["media"]["chunk"] for m in media] == [str(n) for n in range(1, frames + 1)]
    assert [m["media"]["timestamp"] for m in media] == [str(20 * n) for n in range(frames)]
    assert {m["streamSid"] for m in media} == {start["streamSid"]}
    assert {len(base64.b64decode(m["media"]["payload"])) for m in media} == {160}
    audio = seen.audio()
    assert audio.startswith(spoken) and set(audio[len(spoken) :]) == {0xFF}
    assert max(abs(s) for s in memoryview(mulaw.decode(spoken)).cast("h")) > 1000  # not silence

    signature = seen.headers["X-Twilio-Signature"]
    assert RequestValidator(TOKEN).validate(STREAM_URL, {}, signature)
    assert not RequestValidator("another token").validate(STREAM_URL, {}, signature)

    # The Gather before the stream heard nothing; the Redirect after it was followed.
    assert [s.verb for s in record.steps][:3] == ["say", "gather", "silence"]
    assert record.heard[-1] == "result" and played.results[0].ended_by == "server"


def test_keys_pressed_while_the_stream_listens_go_as_dtmf() -> None:
    def after_both_keys(seen: Received) -> bool:
        return len(seen.events("dtmf")) == 2

    with media_server(after_both_keys) as (url, streams):
        record = phone(MediaStreams(fast=True, media_url=url)).call(["@1#"])

    (seen,) = streams
    dtmf = seen.events("dtmf")
    assert [m["dtmf"] for m in dtmf] == [
        {"track": "inbound_track", "digit": "1"},
        {"track": "inbound_track", "digit": "#"},
    ]
    numbers = [int(m["sequenceNumber"]) for _, m in seen.messages[1:]]
    assert numbers == list(range(1, len(numbers) + 1))  # one sequence across media and dtmf
    assert seen.audio() == b"\xff" * len(seen.audio())  # the caller said nothing
    assert [s.text for s in record.verbs("press")] == ["1", "#"]
    assert record.heard[-1] == "result"


def test_keys_at_the_gather_work_as_before_and_open_no_stream() -> None:
    with media_server(after_media(1)) as (url, streams):
        record = phone(MediaStreams(fast=True, media_url=url)).call(["1"])
    assert streams == [] and record.heard[-1] == "keys"


def test_frames_go_in_real_time_unless_fast() -> None:
    def media_span(fast: bool) -> float:
        with media_server(after_media(25)) as (url, streams):
            phone(MediaStreams(fast=fast, media_url=url)).call(["-"])
        times = [at for at, m in streams[0].messages if m["event"] == "media"]
        return times[-1] - times[0]

    assert 0.4 < media_span(fast=False) < 2.0  # 24 gaps of 20 ms: 0.48 s
    assert media_span(fast=True) < 0.3


def test_the_caller_ends_a_stream_the_server_keeps_open_with_stop() -> None:
    with media_server(lambda seen: False) as (url, streams):
        played = MediaStreams(fast=True, media_url=url, limit=0.2)
        record = phone(played).call(["-"])
        wait_until(lambda: streams and streams[0].events("stop"), 5, "the stop message")

    (seen,) = streams
    assert len(seen.events("media")) == 10
    (stop,) = seen.events("stop")
    assert stop["stop"] == {"accountSid": "AC" + "0" * 32, "callSid": record.sid}
    assert played.results[0].ended_by == "limit" and record.heard[-1] == "result"


def test_a_stream_the_server_closes_with_an_error_code_says_which() -> None:
    def refuse_the_token(seen: Received) -> bool:
        return bool(seen.events("start"))

    with media_server(refuse_the_token, close_code=1008) as (url, streams):
        played = MediaStreams(fast=True, media_url=url)
        record = phone(played).call(["@1"])
    assert played.results[0].close_code == 1008
    assert played.results[0].ended_by == "server, code 1008"
    assert record.heard[-1] == "result"


def test_a_refused_stream_goes_on_with_the_next_verb_as_twilio_does() -> None:
    with media_server(after_media(1), refuse=403) as (url, streams):
        played = MediaStreams(fast=True, media_url=url)
        record = phone(played).call(["@1"])
    assert played.results[0].ended_by == "refused: HTTP 403"
    assert record.heard[-1] == "result"


def test_somleng_streams_are_not_signed() -> None:
    with media_server(after_media(1)) as (url, streams):
        phone(MediaStreams(fast=True, media_url=url, signed=False)).call(["-"])
    assert "X-Twilio-Signature" not in streams[0].headers


def test_a_missing_espeak_ng_is_one_clear_line(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SpeechUnavailable, match=r"^--say needs espeak-ng \(apt-get install"):
        ulaw_audio("养老", "zh-CN")


def test_a_wav_file_is_resampled_to_8_khz(tmp_path) -> None:
    import wave

    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as out:  # 0.5 s at 16 kHz
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x10" * 8000)
    assert len(ulaw_audio(str(path), "zh-CN")) == 4000


def test_call_keys_put_say_first_then_the_presses() -> None:
    assert call_keys("@养老,1", None, None) == ["@养老", "1"]
    assert call_keys(None, "养老", None) == ["@养老"]
    assert call_keys("1,-", None, "caller.wav") == ["@caller.wav", "1", "-"]
    assert call_keys(None, None, None) == []
    with pytest.raises(click.UsageError, match="not both"):
        call_keys(None, "养老", "caller.wav")
    with pytest.raises(click.UsageError, match="@ needs what to say"):
        call_keys("@,1", None, None)


def test_ivr_call_refuses_say_with_say_file(tmp_path) -> None:
    path = tmp_path / "caller.wav"
    path.write_bytes(b"")
    result = CliRunner().invoke(main, ["call", "--say", "养老", "--say-file", str(path)])
    assert result.exit_code == 2 and "give --say or --say-file, not both" in result.output
    result = CliRunner().invoke(main, ["call", "--say-file", str(tmp_path / "absent.wav")])
    assert result.exit_code == 2 and "does not exist" in result.output


@needs_espeak
def test_ivr_call_says_the_phrase_over_the_stream_and_prints_it(monkeypatch, tmp_path) -> None:
    from flask import Flask
    from werkzeug.serving import make_server

    from tests.harness import app_environ

    webhooks = Flask(__name__)  # the webhooks' side: fixed TwiML per path

    @webhooks.post("/voice/<name>")
    def answer(name: str) -> str:
        return TWIML[f"/voice/{name}"]

    server = make_server("127.0.0.1", 0, webhooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for key, value in app_environ("sqlite://", tmp_path).items():
        monkeypatch.setenv(key, value)
    try:
        with media_server(after_media(100)) as (url, streams):
            result = CliRunner().invoke(
                main,
                [
                    "call",
                    "--url",
                    f"http://127.0.0.1:{server.server_port}",
                    "--public-url",
                    PUBLIC,
                    "--media-url",
                    url,
                    "--fast",
                    "--press",
                    "@연금",
                ],
            )
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index(f"  🎙 stream to {STREAM_URL}")
    assert lines[start - 1 : start + 2] == [
        "  …  (silence)",
        f"  🎙 stream to {STREAM_URL}",
        "  🗣 says 연금",
    ]
    # --fast: frames sent before the phone saw the close count too.
    assert re.fullmatch(r"  🎙 stream ended \(server\) after \d+\.\d\d s of audio", lines[start + 2])
    assert lines[start + 3] == "  🔊 result"
    assert len(streams[0].events("media")) == 100
