"""``ivr media``: the WebSocket server the platform streams a spoken question to.

Twilio Media Streams messages (``connected``, ``start``, ``media``, ``dtmf``,
``stop``, ``mark``) over the ``websockets`` library's asyncio server. A stream is
accepted with a valid, unused ticket (and, for Twilio, a signed upgrade); its
audio is recognised off the event loop, so one stream never delays another; it
ends on a phrase, on the node's keys, after 5 s without speech or 10 s in all;
the result is stored before the socket closes, so the ``<Redirect>`` after the
stream finds it. With ``store_audio: true`` in flows/speech.yaml, a stream in
which a phrase was heard is kept as WAV under the recordings store
(``speech/YYYY/MM/DD/<nonce>.wav``, named in the result as ``audio``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import os
import socket
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import vosk
from flask import Flask
from twilio.request_validator import RequestValidator
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ivr import mulaw
from ivr.speech.models import ModelRegistry, ModelUnavailable
from ivr.speechnav import metrics, tokens
from ivr.speechnav.grammar import SpeechFlows
from ivr.speechnav.listen import Heard, Listener, missing_words
from ivr.speechnav.store import ResultStore

log = logging.getLogger(__name__)
PATH = "/voice/stream"
BEAT_SECONDS = 2.0
WALL_LIMIT = 15.0  # seconds: a stream whose audio stops arriving still ends
BATCH_BYTES = 800  # 100 ms of 8 kHz μ-law: one call into Vosk per five frames


@dataclass
class Media:
    """What the server needs, built once from the app before serving."""

    flows: SpeechFlows
    models: dict[str, vosk.Model]
    store: ResultStore
    secret: str
    auth_token: str
    public_url: str  # wss://host, the URL Twilio signs
    check_signature: bool
    pool: ThreadPoolExecutor
    recordings_dir: Path | None = None  # where callers' speech is kept, if the flows ask
    name: str = f"{socket.gethostname()}:{os.getpid()}"
    active: int = 0

    async def run(self, call: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, call, *args)


def load_models(flows: SpeechFlows, registry: ModelRegistry) -> dict[str, vosk.Model]:
    """Every locale some menu speaks, whose model is installed: loaded once, now."""
    models = {}
    for locale in sorted({loc for menu in flows.menus.values() for loc in menu.locales()}):
        try:
            model = registry.get_model(locale)
        except ModelUnavailable as exc:
            log.warning("speech menus in %s stay keypad-only: %s", locale, exc)
            continue
        models[locale] = model
        phrases = [p for node in flows.menus for p in flows.grammar(node, locale, "menu")]
        missing = missing_words(model, phrases + flows.grammar("", locale, "confirm"))
        if missing:
            log.warning("the %s model cannot recognise: %s", locale, " ".join(missing))
    return models


def build(app: Flask) -> Media:
    settings = app.config["SETTINGS"]
    flows = app.extensions["ivr.speechnav.flows"]
    models = load_models(flows, app.extensions["ivr.speech"])
    return Media(
        flows=flows,
        models=models,
        store=app.extensions["ivr.speechnav.store"],
        secret=settings.secret_key,
        auth_token=settings.twilio_auth_token,
        public_url="ws" + settings.public_url.removeprefix("http"),
        check_signature=app.extensions["ivr.telephony"].name == "twilio",
        pool=ThreadPoolExecutor(max_workers=max(4, 2 * (os.cpu_count() or 1))),
        recordings_dir=settings.recordings_dir if flows.store_audio else None,
    )


def upgrade_check(media: Media):
    """The handshake: only /voice/stream, and in the Twilio profile only a signed upgrade."""

    def check(connection: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?")[0] != PATH:
            return connection.respond(404, "not found\n")
        if media.check_signature:
            signature = request.headers.get("X-Twilio-Signature", "")
            url = media.public_url + request.path
            if not RequestValidator(media.auth_token).validate(url, {}, signature):
                metrics.REFUSED.labels("signature").inc()
                return connection.respond(403, "forbidden\n")
        return None

    return check


async def _next(ws: ServerConnection, deadline: float) -> dict[str, Any] | None:
    try:
        raw = await asyncio.wait_for(ws.recv(), timeout=max(0.01, deadline - time.monotonic()))
    except (TimeoutError, ConnectionClosed):
        return None
    try:
        message = json.loads(raw)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


async def _start(media: Media, ws: ServerConnection, deadline: float) -> tuple | None:
    """Up to ``start``: its ticket, stream sid and sample rate, or None (refused)."""
    while (message := await _next(ws, deadline)) is not None:
        if message.get("event") == "connected":
            continue
        if message.get("event") != "start":
            break
        start = message.get("start") or {}
        token = (start.get("customParameters") or {}).get("token", "")
        ticket = tokens.verify(media.secret, str(token))
        if ticket is None:
            metrics.REFUSED.labels("token").inc()
            return None
        if ticket.locale not in media.models:
            metrics.REFUSED.labels("locale").inc()
            return None
        if not await media.run(media.store.claim, ticket.nonce, ticket.call):
            metrics.REFUSED.labels("replay").inc()
            return None
        rate = int((start.get("mediaFormat") or {}).get("sampleRate", 8000))
        return ticket, rate
    return None


async def handle(media: Media, ws: ServerConnection) -> None:
    began = time.monotonic()
    started = await _start(media, ws, began + WALL_LIMIT)
    if started is None:
        await _close(ws, 1008, "refused")
        return
    ticket, rate = started
    media.active += 1
    metrics.STREAMS.inc()
    try:
        phrases = media.flows.grammar(ticket.node, ticket.locale, ticket.kind)
        keep = media.recordings_dir is not None
        listener = await media.run(
            partial(Listener, keep_audio=keep), media.models[ticket.locale], phrases, rate
        )
        heard, digits, arrived = await _listen(media, ws, listener, ticket, began + WALL_LIMIT)
        result = heard.as_result(digits, listener.seconds)
        result["timings"]["arrived"] = round(arrived, 4)  # the audio (or key) that ended it
        if media.recordings_dir is not None and listener.audio and heard.text:
            relative = f"speech/{time.strftime('%Y/%m/%d', time.gmtime())}/{ticket.nonce}.wav"
            await media.run(write_wav, media.recordings_dir / relative, bytes(listener.audio), rate)
            result["audio"] = relative
        await media.run(media.store.put, ticket.nonce, result)
        metrics.STORE_SECONDS.observe(time.time() - arrived)
        metrics.RESULTS.labels(result["reason"]).inc()
        if heard.text:
            metrics.CONFIDENCE.observe(heard.confidence)
    finally:
        media.active -= 1
    await _close(ws, 1000, "done")


def write_wav(path: Path, ulaw: bytes, rate: int) -> None:
    """The caller's speech as 16-bit PCM WAV (written aside, then renamed: never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial_path = path.with_suffix(".part")
    with wave.open(str(partial_path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(mulaw.decode(ulaw))
    partial_path.replace(path)


async def _close(ws: ServerConnection, code: int, reason: str) -> None:
    """Close, reading on meanwhile: the caller's close frame waits behind the frames it sent
    before it saw ours, and unread frames stop the reading (flow control) until close times out."""

    async def discard() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for _ in ws:
                pass

    draining = asyncio.create_task(discard())
    try:
        await ws.close(code, reason)
    finally:
        draining.cancel()


async def _listen(
    media: Media, ws: ServerConnection, listener: Listener, ticket: tokens.Ticket, deadline: float
) -> tuple[Heard, str, float]:
    """What ended the stream, the keys, and when (epoch seconds) the message that ended it came."""
    digits, pending = "", bytearray()
    while (message := await _next(ws, deadline)) is not None:
        arrived = time.time()
        event = message.get("event")
        if event == "media":
            try:
                pending += base64.b64decode((message.get("media") or {}).get("payload", ""))
            except (binascii.Error, ValueError):
                continue
            if len(pending) >= BATCH_BYTES:
                chunk, pending = bytes(pending), bytearray()
                heard = await media.run(listener.feed, chunk)
                if heard is not None:
                    return heard, digits, arrived
        elif event == "dtmf":
            digit = str((message.get("dtmf") or {}).get("digit", ""))[:1]
            if digit == ticket.finish_on_key:
                return Heard("keys"), digits + digit, arrived
            if digit:
                digits += digit
            if ticket.num_digits and len(digits) >= ticket.num_digits:
                return Heard("keys"), digits, arrived
        elif event == "stop":
            break
    arrived = time.time()
    if pending:
        heard = await media.run(listener.feed, bytes(pending))
        if heard is not None:
            return heard, digits, arrived
    heard = await media.run(listener.finish, "stop")
    return heard, digits, arrived


async def heartbeat(media: Media) -> None:
    while True:
        status = {"locales": sorted(media.models), "streams": media.active}
        try:
            await media.run(media.store.beat, media.name, status)
        except Exception:  # noqa: BLE001 - the store is down: webhooks offer keys meanwhile
            log.warning("media heartbeat not stored", exc_info=True)
        await asyncio.sleep(BEAT_SECONDS)


async def serve_forever(
    media: Media, host: str, port: int, ready: asyncio.Event | None = None
) -> None:
    async with serve(
        lambda ws: handle(media, ws),
        host,
        port,
        process_request=upgrade_check(media),
        compression=None,
        max_size=64 * 1024,
    ) as server:
        beating = asyncio.create_task(heartbeat(media))
        log.info(
            "media process on %s:%s, speech in %s", host, port, ", ".join(media.models) or "none"
        )
        if ready is not None:
            ready.set()
        try:
            await server.serve_forever()
        finally:
            beating.cancel()
