from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.clock import UTCDateTime, utcnow
from ivr.db import Base
from ivr.recordings.models import RecordingMixin, TranscriptStatus


class VoicemailState(StrEnum):
    """What the caller did with the recording (``Voicemail.state``)."""

    RECORDED = "recorded"
    DISCARDED = "discarded"  # recorded again: the caller replaced it
    EMPTY = "empty"  # nothing was recorded


class Voicemail(RecordingMixin, Base):
    """A recorded message, from the first Twilio callback on (so nothing is lost).

    ``state`` is what the caller did (recorded, discarded by re-recording,
    empty); the download and the transcript have their own statuses.
    """

    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    caller: Mapped[str] = mapped_column(String(160), default="")
    state: Mapped[str] = mapped_column(String(16), default=VoicemailState.RECORDED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_note: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_message(self) -> bool:
        """Shown in the inbox: not discarded, not empty, not found to hold no speech."""
        return (
            self.state == VoicemailState.RECORDED
            and self.transcript_status != TranscriptStatus.NO_SPEECH
        )
