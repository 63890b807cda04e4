from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.clock import UTCDateTime, utcnow
from ivr.db import Base


class Call(Base):
    """One phone call, keyed by the platform's CallSid (Twilio's CA…, Somleng's UUID)."""

    __tablename__ = "calls"
    # The statistics read a period's calls, trial calls left out.
    __table_args__ = (
        Index("ix_calls_trial_started_at", "trial", "started_at"),
        Index("ix_calls_from_number_started_at", "from_number", "started_at"),  # call search
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(160), default="")  # or sip:…
    to_number: Mapped[str] = mapped_column(String(160), default="")
    locale: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    duration: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A walk through the flow from a staff page (Try it): left out of every figure.
    trial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # In time order: journaled menu steps are written after the webhooks that followed them.
    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call",
        order_by="(CallEvent.created_at, CallEvent.id)",
        cascade="all, delete-orphan",
    )


class CallEvent(Base):
    """A step of a call: menu entered, keys pressed, option taken, status change.

    ``key`` identifies the Twilio request that caused it, so a retried webhook
    (same URL, same parameters) is recorded once.
    """

    __tablename__ = "call_events"
    __table_args__ = (
        UniqueConstraint("call_id", "key"),
        # The statistics read a period's events of a few kinds.
        Index("ix_call_events_kind_created_at", "kind", "created_at"),
        # A call's events in time order (its trace), and its last step (the flow's traffic).
        Index("ix_call_events_call_id_created_at", "call_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    node: Mapped[str] = mapped_column(String(64), default="")
    digits: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    call: Mapped[Call] = relationship(back_populates="events")
