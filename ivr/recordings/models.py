"""Columns and the pipeline state shared by every kind of stored recording."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

class RecordingMixin:
    """Where the audio came from and is stored, and its transcript.

    download_status: pending | downloaded | failed | refused
    transcript_status: pending | waiting-for-model | done | no-speech | failed
    """

    kind: str  # set when the domain registers it: ivr.registry.Registry.add_recording_kind
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    media_url: Mapped[str] = mapped_column(String(512), default="")
    download_status: Mapped[str] = mapped_column(String(16), default="pending")
    download_attempts: Mapped[int] = mapped_column(Integer, default=0)
    download_error: Mapped[str] = mapped_column(Text, default="")
    audio_path: Mapped[str] = mapped_column(String(512), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    duration: Mapped[float | None] = mapped_column(Float)
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN")

    transcript_status: Mapped[str] = mapped_column(String(20), default="pending")
    transcript_text: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[dict] = mapped_column(JSON, default=dict)
    transcript_model: Mapped[str] = mapped_column(String(128), default="")
    transcript_error: Mapped[str] = mapped_column(Text, default="")
    transcribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
