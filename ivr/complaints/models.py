"""Complaint and report tickets (spec §5) and the attempts to reach the caller."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.agents.models import Agent
from ivr.calls.models import Call
from ivr.clock import UTCDateTime, utcnow
from ivr.db import Base
from ivr.staff.models import User
from ivr.voicemail.models import Voicemail


class TicketStatus(StrEnum):
    """``Ticket.status``; labels and allowed moves are in ivr.complaints.deadlines."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


class Ticket(Base):
    """One complaint, report, suggestion or praise, from receipt to closing.

    ``owner_id`` is the first-contact owner (首问负责制); None means the
    complaint desk, until someone is assigned. Deadlines are set from the
    kind of matter when the ticket opens (``ivr.complaints.deadlines``).
    """

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(
        ForeignKey("calls.id", ondelete="SET NULL"), unique=True
    )
    call_sid: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    caller: Mapped[str] = mapped_column(String(160), default="")
    caller_name: Mapped[str] = mapped_column(String(64), default="")
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN")

    category: Mapped[str] = mapped_column(String(16), default="complaint")
    matter: Mapped[str] = mapped_column(String(16), default="service")
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.RECEIVED)
    content: Mapped[str] = mapped_column(Text, default="")
    handling: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")

    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    about_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    voicemail_id: Mapped[int | None] = mapped_column(
        ForeignKey("voicemails.id", ondelete="SET NULL")
    )

    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_reason: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    call: Mapped[Call | None] = relationship()
    owner: Mapped[User | None] = relationship()
    about_agent: Mapped[Agent | None] = relationship()
    voicemail: Mapped[Voicemail | None] = relationship()
    contacts: Mapped[list[TicketContact]] = relationship(
        back_populates="ticket", order_by="TicketContact.at", cascade="all, delete-orphan"
    )


class TicketContact(Base):
    """One attempt to reach the caller (follow-up call, call-back): who, when, outcome."""

    __tablename__ = "ticket_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="contacts")
    user: Mapped[User | None] = relationship()
