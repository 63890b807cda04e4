"""One stream's recogniser: 8 kHz μ-law in, the phrase heard (or why not) out.

Runs off the event loop (a thread per call into Vosk); one per stream, fed in
order, so it needs no lock. The recogniser keeps an N-best list: a phrase's
confidence is its share of that list, so two phrases the model cannot tell
apart come out near 0.5 each (a grammar forces any speech onto its phrases, and
Vosk's per-word confidence of the best path says 1.0 for those). Time is
counted in audio, so a stream played faster than real time (the simulator's
``--fast``) ends where a real one would.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import vosk

from ivr import mulaw

SILENCE_LIMIT = 5.0  # seconds of audio without speech: the caller said nothing
TOTAL_LIMIT = 10.0  # seconds of audio in all
MAX_ALTERNATIVES = 3


def supports_unk(model: vosk.Model) -> bool:
    return model.vosk_model_find_word("[unk]") != -1


def missing_words(model: vosk.Model, phrases: list[str]) -> list[str]:
    return sorted({w for p in phrases for w in p.split() if model.vosk_model_find_word(w) == -1})


@dataclass
class Heard:
    """What a stream ended with; ``reason``: final, keys, silence, limit or stop."""

    reason: str
    text: str = ""
    confidence: float = 0.0
    words: list[dict[str, Any]] = field(default_factory=list)
    speech_at: float | None = None  # audio seconds when speech was first heard
    alternatives: list[dict[str, Any]] = field(default_factory=list)  # [{text, confidence}]

    def as_result(self, digits: str, audio_seconds: float) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "text": self.text,
            "confidence": round(self.confidence, 3),
            "alternatives": self.alternatives,
            "words": self.words,
            "digits": digits,
            "silence": self.reason == "silence" and not digits,
            "timings": {"audio": round(audio_seconds, 3), "speech_at": self.speech_at},
        }


def shares(scores: list[float]) -> list[float]:
    """Each alternative's share of the N-best list, from Vosk's scores (log-likelihoods):
    1.0 when one alternative stands alone, about 0.5 each for two the model cannot tell apart."""
    top = max(scores)
    weights = [math.exp(score - top) for score in scores]
    return [weight / sum(weights) for weight in weights]


class Listener:
    def __init__(
        self, model: vosk.Model, phrases: list[str], rate: int = 8000, *, keep_audio: bool = False
    ) -> None:
        grammar = [*phrases, "[unk]"] if supports_unk(model) else list(phrases)
        self.recogniser = vosk.KaldiRecognizer(model, rate, json.dumps(grammar, ensure_ascii=False))
        self.recogniser.SetWords(True)
        self.recogniser.SetMaxAlternatives(MAX_ALTERNATIVES)
        self.rate = rate
        self.samples = 0
        self.speech_at: float | None = None
        self.audio = bytearray() if keep_audio else None  # the caller's μ-law, when a flow asks

    @property
    def seconds(self) -> float:
        return self.samples / self.rate

    def feed(self, ulaw: bytes) -> Heard | None:
        """Decode and recognise a run of frames; a :class:`Heard` once the stream should end."""
        pcm = mulaw.decode(ulaw)
        self.samples += len(ulaw)
        if self.audio is not None:
            self.audio += ulaw
        if self.recogniser.AcceptWaveform(pcm):
            heard = self._heard(self.recogniser.Result(), "final")
            if heard.text:
                return heard
        elif self.speech_at is None and json.loads(self.recogniser.PartialResult()).get("partial"):
            self.speech_at = self.seconds
        if self.speech_at is None and self.seconds >= SILENCE_LIMIT:
            return Heard("silence")
        if self.seconds >= TOTAL_LIMIT:
            return self.finish("limit")
        return None

    def finish(self, reason: str = "stop") -> Heard:
        heard = self._heard(self.recogniser.FinalResult(), reason)
        if not heard.text and self.speech_at is None:
            heard.reason = "silence"
        return heard

    def _heard(self, raw: str, reason: str) -> Heard:
        data = json.loads(raw)
        found = data.get("alternatives") or [data]
        confidences = shares([float(a.get("confidence", 0.0)) for a in found])
        alternatives = [
            {"text": heard_text(a), "confidence": round(c, 3)}
            for a, c in zip(found, confidences, strict=True)
            if heard_text(a)
        ]
        words = [w for w in found[0].get("result", []) if w.get("word") != "[unk]"]
        text = heard_text(found[0])
        if text and self.speech_at is None:
            self.speech_at = words[0]["start"] if words else self.seconds
        return Heard(
            reason,
            text,
            confidences[0] if text else 0.0,
            [{k: w[k] for k in ("word", "start", "end")} for w in words],
            self.speech_at,
            alternatives,
        )


def heard_text(alternative: dict[str, Any]) -> str:
    return " ".join(w for w in alternative.get("text", "").split() if w != "[unk]")
