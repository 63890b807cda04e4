"""Columns and the pipeline state shared by every kind of stored recording."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.clock import UTCDateTime

class DownloadStatus(StrEnum):
    """Where a recording's audio is: still at Twilio, stored here, or not to be had."""

    PENDING = "pending"
    DOWNLOADED = "downloaded"
    FAILED = "failed"  # retried by the job queue and the sweeper
    REFUSED = "refused"  # the media URL is not on the allow-list: never fetched


class TranscriptStatus(StrEnum):
    PENDING = "pending"
    WAITING_FOR_MODEL = "waiting-for-model"  # no speech model for the locale yet
    DONE = "done"
    NO_SPEECH = "no-speech"  # transcribed, nothing said
    FAILED = "failed"  # the audio could not be read


class RecordingMixin:
    """Where the audio came from and is stored, and its transcript.

    ``download_status`` is a :class:`DownloadStatus`, ``transcript_status`` a
    :class:`TranscriptStatus` (stored as their string values).
    """

    kind: str  # set when the domain registers it: ivr.registry.Registry.add_recording_kind
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    media_url: Mapped[str] = mapped_column(String(512), default="")
    download_status: Mapped[str] = mapped_column(String(16), default=DownloadStatus.PENDING)
    download_attempts: Mapped[int] = mapped_column(Integer, default=0)
    download_error: Mapped[str] = mapped_column(Text, default="")
    audio_path: Mapped[str] = mapped_column(String(512), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    duration: Mapped[float | None] = mapped_column(Float)
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN")

    transcript_status: Mapped[str] = mapped_column(String(20), default=TranscriptStatus.PENDING)
    transcript_text: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[dict] = mapped_column(JSON, default=dict)
    transcript_model: Mapped[str] = mapped_column(String(128), default="")
    transcript_error: Mapped[str] = mapped_column(Text, default="")
    transcribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
