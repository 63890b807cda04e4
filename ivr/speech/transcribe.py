"""Offline transcription of a recording with Vosk, one recognizer per channel."""

from __future__ import annotations

import json
import threading
import time
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import vosk

from .audio import SAMPLE_WIDTH, ChannelAudio, load_audio
from .models import ModelRegistry

CHUNK_FRAMES = 4000  # 0.25 s at 16 kHz per AcceptWaveform call


@dataclass(frozen=True)
class Word:
    word: str
    start: float  # seconds from the start of the recording
    end: float
    conf: float
    channel: str


@dataclass(frozen=True)
class Segment:
    """One Vosk result (roughly an utterance ended by silence) on one channel."""

    channel: str
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class ChannelText:
    label: str
    text: str
    duration: float


@dataclass
class Transcript:
    locale: str
    model: str
    text: str
    channels: list[ChannelText]
    words: list[Word]
    segments: list[Segment]
    duration: float  # seconds of audio (longest channel)
    convert_seconds: float
    decode_seconds: float
    sample_rate: int = 16000

    @property
    def real_time_factor(self) -> float | None:
        """Processing time (conversion + decoding) per second of audio."""
        if self.duration <= 0:
            return None
        return (self.convert_seconds + self.decode_seconds) / self.duration

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form for storage."""
        data = asdict(self)
        data["real_time_factor"] = self.real_time_factor
        return data


def transcribe(
    path: str | Path,
    locale: str,
    registry: ModelRegistry,
    *,
    chunk_frames: int = CHUNK_FRAMES,
) -> Transcript:
    """Convert and transcribe ``path`` with the model registered for ``locale``.

    Raises :class:`~ivr.speech.models.ModelUnavailable` (before doing any work) when the
    locale has no model and :class:`~ivr.speech.audio.AudioError` for undecodable audio.
    """
    loaded = registry.load(locale)

    started = time.perf_counter()
    channels = load_audio(path)
    converted = time.perf_counter()

    segments: list[Segment] = []
    words: list[Word] = []
    for channel in channels:
        channel_segments, channel_words = decode_channel(loaded.model, channel, chunk_frames)
        segments.extend(channel_segments)
        words.extend(channel_words)
    decoded = time.perf_counter()

    order = {channel.label: i for i, channel in enumerate(channels)}
    segments.sort(key=lambda s: (s.start, order[s.channel]))
    words.sort(key=lambda w: (w.start, order[w.channel]))
    channel_texts = [
        ChannelText(
            c.label,
            " ".join(s.text for s in segments if s.channel == c.label),
            round(c.duration, 3),
        )
        for c in channels
    ]
    return Transcript(
        locale=loaded.location.locale,
        model=loaded.location.name,
        text=_full_text(segments, multi_channel=len(channels) > 1),
        channels=channel_texts,
        words=words,
        segments=segments,
        duration=round(max((c.duration for c in channels), default=0.0), 3),
        convert_seconds=converted - started,
        decode_seconds=decoded - converted,
        sample_rate=channels[0].sample_rate if channels else 16000,
    )


def decode_channel(
    model: vosk.Model, audio: ChannelAudio, chunk_frames: int = CHUNK_FRAMES
) -> tuple[list[Segment], list[Word]]:
    """Run a (pooled) recognizer over one channel's PCM; returns its segments and words."""
    lease = _pool.acquire(model, audio.sample_rate)
    recognizer = lease.recognizer
    offset_seconds = lease.samples_fed / audio.sample_rate
    segments: list[Segment] = []
    words: list[Word] = []
    step = chunk_frames * SAMPLE_WIDTH
    pcm = audio.pcm
    for start in range(0, len(pcm), step):
        if recognizer.AcceptWaveform(pcm[start : start + step]):
            _collect(recognizer.Result(), audio.label, offset_seconds, segments, words)
    _collect(recognizer.FinalResult(), audio.label, offset_seconds, segments, words)
    # Only a recognizer that finished cleanly goes back; on error it is dropped.
    lease.samples_fed += audio.frame_count
    _pool.release(model, audio.sample_rate, lease)
    return segments, words


@dataclass
class _Lease:
    recognizer: vosk.KaldiRecognizer
    samples_fed: int = 0
    uses: int = 0


class _RecognizerPool:
    """Per-process pool of idle recognizers, one list per (model, sample rate).

    A KaldiRecognizer composes its decoding graph lazily (HCLr + Gr lookahead models)
    and keeps that cache for its lifetime; a fresh recognizer spends its first seconds
    of audio building it (a 5 s call decodes about 5x slower than on a warm one). After
    FinalResult() Vosk starts the next utterance with a new decoder and feature pipeline
    but the same graph cache, so reusing recognizers between recordings is safe. Vosk
    keeps counting time across recordings, hence ``samples_fed``. Recognizers are not
    thread-safe: a lease is used by one thread at a time.
    """

    def __init__(self, max_idle: int = 4, max_uses: int = 1000) -> None:
        self.max_idle = max_idle
        self.max_uses = max_uses  # bounds Vosk's running time offset and cache growth
        self._idle: weakref.WeakKeyDictionary[vosk.Model, dict[int, list[_Lease]]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def acquire(self, model: vosk.Model, sample_rate: int) -> _Lease:
        with self._lock:
            idle = self._idle.get(model, {}).get(sample_rate)
            if idle:
                return idle.pop()
        recognizer = vosk.KaldiRecognizer(model, sample_rate)
        recognizer.SetWords(True)
        return _Lease(recognizer)

    def release(self, model: vosk.Model, sample_rate: int, lease: _Lease) -> None:
        lease.uses += 1
        if lease.uses >= self.max_uses:
            return
        with self._lock:
            idle = self._idle.setdefault(model, {}).setdefault(sample_rate, [])
            if len(idle) < self.max_idle:
                idle.append(lease)

    def clear(self) -> None:
        with self._lock:
            self._idle.clear()


_pool = _RecognizerPool()


def clear_recognizer_pool() -> None:
    """Drop idle recognizers (frees their graph caches; the next decode starts cold)."""
    _pool.clear()


def _collect(
    raw: str, label: str, offset: float, segments: list[Segment], words: list[Word]
) -> None:
    result = json.loads(raw)
    items = result.get("result") or []
    text = (result.get("text") or "").strip()
    if not items or not text:
        return
    chunk = [
        Word(
            word=item["word"],
            start=round(max(float(item["start"]) - offset, 0.0), 3),
            end=round(max(float(item["end"]) - offset, 0.0), 3),
            conf=round(float(item.get("conf", 1.0)), 4),
            channel=label,
        )
        for item in items
    ]
    words.extend(chunk)
    segments.append(Segment(label, chunk[0].start, chunk[-1].end, text))


def _full_text(segments: list[Segment], *, multi_channel: bool) -> str:
    if not multi_channel:
        return " ".join(s.text for s in segments)
    # A conversation reads best as speaker turns in time order.
    return "\n".join(f"{s.channel}: {s.text}" for s in segments)
