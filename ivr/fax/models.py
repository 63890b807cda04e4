from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.clock import UTCDateTime, utcnow
from ivr.db import Base


class FaxStatus(StrEnum):
    """``FaxRequest.status`` (the fax API's own words are in ivr.fax.callbacks)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


STATUSES = tuple(FaxStatus)
# Nothing left for the delivery job to do.
DONE = (FaxStatus.SENT, FaxStatus.DELIVERED, FaxStatus.FAILED)


class FaxRequest(Base):
    """A document a caller asked to be faxed, and how its delivery went.

    ``status`` moves queued → sending → sent, or → failed with ``error`` once
    the delivery job has used its retries (``attempts`` counts them). A fax API
    that reports the outcome (status callback) then moves sent → delivered, or
    → failed with what it said; ``provider_ref`` is its fax SID.
    """

    __tablename__ = "fax_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    document_key: Mapped[str] = mapped_column(String(16))
    document_title: Mapped[str] = mapped_column(String(200), default="")
    fax_number: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN")
    status: Mapped[str] = mapped_column(String(16), default=FaxStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(16), default="")
    provider_ref: Mapped[str] = mapped_column(String(128), default="")  # job id / fax SID / file
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def masked_number(self) -> str:
        """The area code (or first three digits) and the last two: 0431****34."""
        number = self.fax_number
        head = 3  # local numbers; area codes are 010 and 02x, or four digits
        if number.startswith("0") and number[1:2] not in ("1", "2"):
            head = 4
        if len(number) <= head + 2:
            return number[:1] + "*" * (len(number) - 1)
        return number[:head] + "*" * (len(number) - head - 2) + number[-2:]
