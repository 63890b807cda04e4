"""Silence as a WAV file (8 kHz mono 16-bit PCM, as telephony plays it), built once per length."""

from __future__ import annotations

import functools
import io
import wave

RATE = 8000


@functools.cache
def wav(seconds: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(RATE)
        audio.writeframes(b"\0\0" * RATE * seconds)
    return out.getvalue()
