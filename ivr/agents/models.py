from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.clock import UTCDateTime, utcnow
from ivr.db import Base
from ivr.recordings.models import RecordingMixin
from ivr.staff.models import User


class AgentStatus(StrEnum):
    """``AgentPresence.status`` (see ivr.agents.presence for what each means)."""

    AVAILABLE = "available"
    BUSY = "busy"
    PAUSED = "paused"
    OFFLINE = "offline"


class Agent(Base):
    """A staff user who answers calls: their centre, agent number (工号) and phone/SIP."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    centre: Mapped[str] = mapped_column(String(16), index=True)  # area code or "provincial"
    agent_number: Mapped[str] = mapped_column(String(16), unique=True)
    phone: Mapped[str] = mapped_column(String(128))  # E.164 number or sip: address
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class CallRecording(RecordingMixin, Base):
    """A two-channel recording of an agent's call (caller on channel 1, agent on 2)."""

    __tablename__ = "call_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    caller: Mapped[str] = mapped_column(String(160), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agent: Mapped[Agent | None] = relationship()


class AgentPresence(Base):
    """An agent's status when no Redis is configured (``ivr.agents.presence.DatabasePresence``).

    ``since`` is when the status began: for an available agent, idle-since,
    which orders who gets the next call. ``call_sid`` is the call holding a
    busy agent (unique: one call never holds two agents); ``after`` is the
    status the agent asked for while on that call, applied when it ends.
    """

    __tablename__ = "agent_presence"
    __table_args__ = (Index("ix_agent_presence_centre_status_since", "centre", "status", "since"),)

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    centre: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=AgentStatus.OFFLINE)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    after: Mapped[str | None] = mapped_column(String(16))


class QueuedCall(Base):
    """A caller waiting in a centre's Twilio queue (database backend), for the dashboards."""

    __tablename__ = "agent_queue"

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    centre: Mapped[str] = mapped_column(String(16), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
