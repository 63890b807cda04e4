"""The result store's tables when there is no Redis (the embedded default)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Double, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.db import Base


class SpeechResult(Base):
    """A stream's ticket, claimed once by the media process; its result once stored."""

    __tablename__ = "speech_results"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[float] = mapped_column(Double, index=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class MediaHeartbeat(Base):
    """What a running media process serves (locales), refreshed every few seconds."""

    __tablename__ = "media_heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid
    beat_at: Mapped[float] = mapped_column(Double)
    status: Mapped[dict[str, Any]] = mapped_column(JSON)
