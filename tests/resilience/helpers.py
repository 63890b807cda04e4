"""Helpers of the resilience tests (not fixtures): callers, audio, rows."""

from __future__ import annotations

import wave
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ivr.simulator import Phone, Transport, http_transport
from tests.harness import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    SPEECH_DATA,
    Server,
)

CALLER = "+8643188881234"  # a Changchun landline


def long_wav(path: Path, copies: int) -> bytes:
    """tests/speech/data/ko_dual_8k.wav ``copies`` times over, as one WAV file."""
    with wave.open(str(SPEECH_DATA / "ko_dual_8k.wav"), "rb") as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        for _ in range(copies):
            out.writeframes(frames)
    return path.read_bytes()


def phone(transport: Transport, **kwargs) -> Phone:
    kwargs.setdefault("caller", CALLER)
    return Phone(transport, PUBLIC_URL, AUTH_TOKEN, account_sid=ACCOUNT_SID, **kwargs)


def alternating(servers: list[Server], start: int = 0) -> tuple[Transport, list[int]]:
    """A transport that sends each request to the next server in turn (and logs which)."""
    sends = [http_transport(s.base_url) for s in servers]
    used: list[int] = []

    def send(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        index = (start + len(used)) % len(sends)
        used.append(index)
        return sends[index](url, params, headers)

    return send, used


def rows(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))
