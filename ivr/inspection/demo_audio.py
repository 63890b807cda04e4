"""Demo recordings: a script spoken into a two-channel WAV, with its word-timed transcript.

With ``espeak-ng`` installed each turn is synthetic Mandarin speech; otherwise
(or with ``speech=False``) each word is a short tone burst, so the demo still
has audio whose timings match the transcript. Either way it is demo audio, and
the transcript says so (``demo_audio``). Caller on the left channel, agent on
the right, as in the centre's recordings.
"""

from __future__ import annotations

import array
import functools
import math
import shutil
import subprocess
import tempfile
import unicodedata
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.inspection.demo_script import Script

RATE = 22050  # espeak-ng's own rate
CHANNELS = ("caller", "agent")
MIN_SECONDS = 36.0  # ordinary demo calls are stretched to at least this
SPEECH_NOTE = (
    "演示录音：espeak-ng 合成语音 Demo audio: synthetic speech (espeak-ng) reading the script"
)
TONE_NOTE = (
    "演示录音：以音调代替语音 Demo audio: tone bursts stand in for speech (espeak-ng not used)"
)


@dataclass(frozen=True)
class Rendered:
    transcript: dict[str, Any]
    duration: float
    speech: bool


def espeak() -> str | None:
    return shutil.which("espeak-ng")


def render(script: Script, path: Path, *, speech: bool = True) -> Rendered:
    """Write ``script`` as a stereo 16-bit WAV at ``path``; return its transcript."""
    use_speech = speech and espeak() is not None
    clips = [
        _speak(turn.text) if use_speech else _tones(turn.text, turn.channel)
        for turn in script.turns
    ]
    pauses = [turn.pause for turn in script.turns]
    # Ordinary calls last long enough to be sampled: stretch the pauses evenly.
    length = 0.4 + sum(pauses) + sum(len(c) / RATE for c in clips) + 0.8
    if not script.short and length < MIN_SECONDS:
        extra = (MIN_SECONDS - length) / max(len(pauses) - 1, 1)
        pauses = [pauses[0], *(p + extra for p in pauses[1:])]

    left: array.array[int] = array.array("h")
    right: array.array[int] = array.array("h")
    words: list[dict[str, Any]] = []
    segments: list[dict[str, Any]] = []
    cursor = 0.4
    for turn, clip, pause in zip(script.turns, clips, pauses, strict=True):
        cursor += pause
        start_frame = round(cursor * RATE)
        for track in (left, right):
            track.frombytes(bytes(2 * (start_frame + len(clip) - len(track))))
        target = left if turn.channel == "caller" else right
        target[start_frame : start_frame + len(clip)] = clip
        voiced = _voiced(clip)
        turn_words = _time_words(turn.text, cursor + voiced[0] / RATE, cursor + voiced[1] / RATE)
        for word in turn_words:
            word["channel"] = turn.channel
        words.extend(turn_words)
        if turn_words:
            segments.append(
                {
                    "channel": turn.channel,
                    "start": turn_words[0]["start"],
                    "end": turn_words[-1]["end"],
                    "text": " ".join(w["word"] for w in turn_words),
                }
            )
        cursor += len(clip) / RATE
    tail = round((cursor + 0.8) * RATE)
    for track in (left, right):
        track.frombytes(bytes(2 * (tail - len(track))))

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = array.array("h", [0]) * (2 * len(left))
    frames[0::2] = left
    frames[1::2] = right
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames.tobytes())
    duration = round(len(left) / RATE, 3)
    words.sort(key=lambda w: (w["start"], w["channel"] != "caller"))
    segments.sort(key=lambda s: s["start"])
    transcript = {
        "locale": "zh-CN",
        "model": "demo-script",
        "text": " ".join(
            f"[{'来电人' if s['channel'] == 'caller' else '咨询员'}] {s['text']}" for s in segments
        ),
        "channels": [
            {
                "label": channel,
                "text": " ".join(s["text"] for s in segments if s["channel"] == channel),
                "duration": duration,
            }
            for channel in CHANNELS
        ],
        "words": words,
        "segments": segments,
        "duration": duration,
        "convert_seconds": 0.0,
        "decode_seconds": 0.0,
        "sample_rate": RATE,
        "real_time_factor": None,
        "demo_audio": SPEECH_NOTE if use_speech else TONE_NOTE,
    }
    return Rendered(transcript, duration, use_speech)


def _tokens(text: str) -> list[str]:
    """The script's words without punctuation (speech recognition writes none)."""
    out = []
    for token in text.split():
        word = "".join(ch for ch in token if unicodedata.category(ch)[0] in "LN")
        if word:
            out.append(word)
    return out


def _time_words(text: str, start: float, end: float) -> list[dict[str, Any]]:
    """Spread the words over [start, end] by their number of characters."""
    tokens = _tokens(text)
    chars = sum(len(t) for t in tokens) or 1
    span = max(end - start, 0.1)
    out = []
    at = start
    for token in tokens:
        length = span * len(token) / chars
        out.append(
            {
                "word": token,
                "start": round(at, 2),
                "end": round(at + length * 0.92, 2),
                "conf": 1.0,
            }
        )
        at += length
    return out


def _speak(text: str) -> array.array[int]:
    """Mono 16-bit samples of espeak-ng reading ``text`` in Mandarin."""
    spoken = "".join(text.split())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "turn.wav"
        subprocess.run(  # noqa: S603 - fixed program, text passed as one argument
            [espeak() or "espeak-ng", "-v", "cmn", "-s", "165", "-w", str(out), spoken],
            check=True,
            capture_output=True,
            timeout=60,
        )
        with wave.open(str(out), "rb") as clip:
            raw = clip.readframes(clip.getnframes())
            rate, width, channels = clip.getframerate(), clip.getsampwidth(), clip.getnchannels()
    if (rate, width, channels) != (RATE, 2, 1):
        raise RuntimeError(f"espeak-ng wrote {rate} Hz, {width * 8}-bit, {channels} channel(s)")
    samples = array.array("h")
    samples.frombytes(raw)
    return samples


def _tones(text: str, channel: str) -> array.array[int]:
    """A soft tone burst per character, a short gap per word: speech-like rhythm."""
    base = 220.0 if channel == "caller" else 330.0
    samples = array.array("h")
    for index, token in enumerate(_tokens(text)):
        for offset in range(len(token)):
            frequency = base * (1 + 0.06 * ((index + offset) % 4))
            samples.extend(_burst(frequency, 0.2))
        samples.frombytes(bytes(2 * round(0.06 * RATE)))
    return samples


@functools.cache
def _burst(frequency: float, seconds: float) -> array.array[int]:
    count = round(seconds * RATE)
    fade = max(1, round(0.02 * RATE))
    out = array.array("h", bytes(2 * count))
    for i in range(count):
        envelope = min(1.0, i / fade, (count - i) / fade)
        out[i] = round(6000 * envelope * math.sin(2 * math.pi * frequency * i / RATE))
    return out


def _voiced(clip: array.array[int]) -> tuple[int, int]:
    """First and last sample above a small threshold (espeak pads with silence)."""
    threshold = 300
    first = next((i for i, v in enumerate(clip) if abs(v) > threshold), 0)
    last = next((i for i in range(len(clip) - 1, -1, -1) if abs(clip[i]) > threshold), len(clip))
    return first, max(last, first + 1)
