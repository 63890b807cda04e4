"""``<Connect><Stream>`` as the platform runs it: the caller's audio over a Media Streams WebSocket.

The phone opens the stream's ``wss://`` URL (in the Twilio profile with
``X-Twilio-Signature`` on the upgrade: the auth token's HMAC of the URL as
written, no parameters), sends ``connected`` and ``start`` (the ``<Parameter>``s
as ``customParameters``), then 20 ms ``media`` frames of 8 kHz μ-law: what the
caller says, then silence until the server closes the socket or ``limit``
seconds of audio have gone (then ``stop``). Keys pressed while it listens go as
``dtmf`` messages. Frames go at real-time pace, or as fast as the socket takes
them with ``fast`` (then, all sent, the phone gives the server a moment to
close before it sends ``stop``: the server may be reading well behind). Then
the call goes on with the next verb, as on Twilio (a Connect without
``action``) and Somleng; a stream that cannot be opened does the same.

What the caller does at a stream is the next key of the call when it starts
with ``@``: ``@养老`` says the phrase (espeak-ng, in the voice of the menu's
``<Say language>``), ``@X.wav`` plays a file, ``@1`` presses keys while the
stream listens. A Gather meeting an ``@`` key stays silent and leaves it for
the stream that follows; a stream meeting anything else hears silence.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own server's TwiML
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ivr.simulator.utterance import is_file, ulaw_audio
from ivr.simulator.wire import SPEAK, CallRecord, Step

if TYPE_CHECKING:
    from ivr.simulator.phone import Phone

FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law
FRAME_SECONDS = 0.02
SILENCE_FRAME = b"\xff" * FRAME_BYTES  # μ-law zero
DTMF_KEYS = frozenset("0123456789*#")
KEY_GAP_FRAMES = 5  # 100 ms of silence before each key pressed during a stream
FAST_GRACE = 2.0  # seconds a fast phone, its audio all sent, waits for the server to close


@dataclass
class StreamResult:
    """What one stream carried, as the phone saw it."""

    url: str
    frames: int = 0  # media messages sent
    messages: list[dict[str, Any]] = field(default_factory=list)  # everything sent, in order
    received: list[str] = field(default_factory=list)  # what the server sent back
    ended_by: str = ""  # "server" (it closed the socket), "limit", or the refusal
    close_code: int | None = None  # the server's close code, when it closed the socket


def sequence(audio: bytes, keys: str, limit_frames: int) -> Iterator[bytes | str]:
    """The caller's side of a stream: 20 ms frames (bytes), with key presses (str) among them."""
    sent = 0
    for start in range(0, len(audio), FRAME_BYTES):
        yield audio[start : start + FRAME_BYTES].ljust(FRAME_BYTES, b"\xff")
        sent += 1
    for key in keys:
        for _ in range(KEY_GAP_FRAMES):
            yield SILENCE_FRAME
            sent += 1
        yield key
    while sent < limit_frames:
        yield SILENCE_FRAME
        sent += 1


class MediaStreams:
    """How a ``Phone`` plays ``<Connect><Stream>``.

    - ``fast``: send frames as fast as the socket takes them (else 20 ms apart);
    - ``media_url``: open the stream here (e.g. ``ws://127.0.0.1:5001``) instead of
      the host in the TwiML, which stays what is signed (as ``--url`` does for webhooks);
    - ``signed``: send ``X-Twilio-Signature`` on the upgrade (Twilio; Somleng does not);
    - ``limit``: seconds of audio after which the caller's side ends the stream;
    - ``locale``: whose voice speaks a phrase when no ``<Say language>`` came before;
    - ``audio(item, language)``: the μ-law of an ``@`` item (default: espeak-ng or the file).
    """

    def __init__(
        self,
        *,
        fast: bool = False,
        media_url: str | None = None,
        signed: bool = True,
        limit: float = 30.0,
        locale: str = "zh-CN",
        audio: Callable[[str, str], bytes] = ulaw_audio,
    ) -> None:
        self.fast, self.media_url, self.signed = fast, media_url, signed
        self.limit, self.locale, self.audio = limit, locale, audio
        self.results: list[StreamResult] = []  # every stream played, in order

    def play(self, phone: Phone, record: CallRecord, verb: ET.Element, keys: deque[str]):
        """Run one ``<Connect>``: returns its action request, or None to go on with the next verb."""
        attrs = dict(verb.attrib)
        for stream in verb.iter("Stream"):
            item = keys.popleft()[len(SPEAK) :] if keys and keys[0].startswith(SPEAK) else ""
            parameters = {p.get("name", ""): p.get("value", "") for p in stream.iter("Parameter")}
            self.results.append(self.run(phone, record, stream.get("url", ""), parameters, item))
        if "action" in attrs:  # Twilio posts it once the stream ends
            return attrs["action"], {}
        return None

    def run(
        self,
        phone: Phone,
        record: CallRecord,
        url: str,
        parameters: dict[str, str],
        item: str,
    ) -> StreamResult:
        """One stream, from the upgrade to the close; logs what the caller does and how it ended."""
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
        from websockets.sync.client import connect

        result = StreamResult(url)
        phone._log(record, Step("stream", url, dict(parameters)))
        pressed = item if item and set(item) <= DTMF_KEYS else ""
        audio = b""
        if item and not pressed:
            audio = self.audio(item, _language(record) or self.locale)
            verb = "plays" if is_file(item) else "says"
            phone._log(record, Step("speak", item, {"verb": verb}))
        headers = {}
        if self.signed:
            headers["X-Twilio-Signature"] = phone.validator.compute_signature(url, {})
        target = url
        if self.media_url:
            parts = urlsplit(url)
            target = (
                self.media_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
            )
        stream_sid = "MZ" + secrets.token_hex(16)
        try:
            with connect(target, additional_headers=headers, open_timeout=10) as ws:

                def send(event: str, body: dict[str, Any]) -> None:
                    message: dict[str, Any] = {"event": event}
                    if event != "connected":
                        message["sequenceNumber"] = str(len(result.messages))
                        message["streamSid"] = stream_sid
                    message.update(body)
                    result.messages.append(message)
                    ws.send(json.dumps(message))

                send("connected", {"protocol": "Call", "version": "1.0.0"})
                call = {"accountSid": phone.account_sid, "callSid": record.sid}
                start = {
                    **call,
                    "streamSid": stream_sid,
                    "tracks": ["inbound"],
                    "customParameters": parameters,
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                }
                send("start", {"start": start})
                began = time.monotonic()
                limit_frames = int(self.limit / FRAME_SECONDS)
                try:
                    for piece in sequence(audio, pressed, limit_frames):
                        if isinstance(piece, str):
                            send("dtmf", {"dtmf": {"track": "inbound_track", "digit": piece}})
                            phone._log(record, Step("press", piece, {"during": "stream"}))
                            continue
                        if not self.fast:
                            time.sleep(
                                max(0.0, began + result.frames * FRAME_SECONDS - time.monotonic())
                            )
                        media = {
                            "track": "inbound",
                            "chunk": str(result.frames + 1),
                            "timestamp": str(result.frames * 20),
                            "payload": base64.b64encode(piece).decode("ascii"),
                        }
                        send("media", {"media": media})
                        result.frames += 1
                        _drain(ws, result)
                    if self.fast:  # the server may still be reading what was sent ahead of it
                        _drain(ws, result, wait=min(self.limit, FAST_GRACE))
                    result.ended_by = "limit"
                    send("stop", {"stop": call})
                except ConnectionClosed as exc:
                    result.close_code = exc.rcvd.code if exc.rcvd else None
                    closed = f", code {result.close_code}" if result.close_code != 1000 else ""
                    result.ended_by = f"server{closed}"
        except InvalidStatus as exc:
            result.ended_by = f"refused: HTTP {exc.response.status_code}"
        except (InvalidHandshake, OSError, TimeoutError) as exc:
            result.ended_by = f"failed: {exc}"
        phone._log(
            record,
            Step("streamed", result.ended_by, {"seconds": f"{result.frames * FRAME_SECONDS:.2f}"}),
        )
        return result


def _drain(ws, result: StreamResult, wait: float = 0.0) -> None:
    """Take what the server sent so far, waiting up to ``wait`` seconds for the next message;
    ConnectionClosed once it has closed."""
    deadline = time.monotonic() + wait
    while True:
        try:
            message = ws.recv(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            return
        result.received.append(message if isinstance(message, str) else message.hex())


def _language(record: CallRecord) -> str:
    """The language of the last ``<Say>`` the caller heard (the menu's locale)."""
    for step in reversed(record.steps):
        if step.verb == "say" and step.attrs.get("language"):
            return step.attrs["language"]
    return ""
