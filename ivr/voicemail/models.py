from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.calls.models import utcnow
from ivr.db import Base


class Voicemail(Base):
    """A recorded message, from the first Twilio callback on (so nothing is lost).

    ``state`` is what the caller did (recorded, discarded by re-recording,
    empty); the download and the transcript have their own statuses.
    """

    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    caller: Mapped[str] = mapped_column(String(32), default="")
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN")
    state: Mapped[str] = mapped_column(String(16), default="recorded")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    media_url: Mapped[str] = mapped_column(String(512), default="")
    download_status: Mapped[str] = mapped_column(String(16), default="pending")
    download_attempts: Mapped[int] = mapped_column(Integer, default=0)
    download_error: Mapped[str] = mapped_column(Text, default="")
    audio_path: Mapped[str] = mapped_column(String(512), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    duration: Mapped[float | None] = mapped_column(Float)

    transcript_status: Mapped[str] = mapped_column(String(20), default="pending")
    transcript_text: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[dict] = mapped_column(JSON, default=dict)
    transcript_model: Mapped[str] = mapped_column(String(128), default="")
    transcript_error: Mapped[str] = mapped_column(Text, default="")
    transcribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_note: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_message(self) -> bool:
        """Shown in the inbox: not discarded, not empty, not found to hold no speech."""
        return self.state == "recorded" and self.transcript_status != "no-speech"
