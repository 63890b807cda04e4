"""Quality inspection tables: sampled calls, their grades and the monthly results.

Scores are stored as whole hundredths of a point (``*_x100``): exact on every
database (SQLite has no decimal type) and summable in plain SQL.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.agents.models import Agent, CallRecording
from ivr.clock import UTCDateTime, utcnow
from ivr.db import Base
from ivr.staff.models import User


class ResultStatus(StrEnum):
    """``AgentMonthResult.status``."""

    PENDING = "pending"  # no graded recording yet
    PARTIAL = "partial"
    COMPLETE = "complete"


class FigureSource(StrEnum):
    """``ScoreFigure.source``: whose figure it is."""

    CALL = "call"  # a sampled call's, graded by an inspector
    LEADER = "leader"  # the team leader's composite
    DIRECT = "direct"  # a section entered directly


class SampleDraw(Base):
    """One random draw of an inspector's calls for one agent and month.

    Reproducible: ``random.Random(seed).sample(sorted(pool), size)`` gives
    ``picked`` again (see :func:`ivr.inspection.sampling.replay`). A redraw is a
    new draw that ``replaces`` samples, with the inspector's written ``reason``.
    """

    __tablename__ = "inspection_draws"
    __table_args__ = (
        Index("ix_inspection_draws_month_agent", "month", "agent_id"),
        Index("ix_inspection_draws_month_inspector", "month", "inspector_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-11"
    rubric_id: Mapped[str] = mapped_column(String(64))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    seed: Mapped[int] = mapped_column(BigInteger)
    pool: Mapped[list] = mapped_column(JSON, default=list)  # eligible recording ids, sorted
    size: Mapped[int] = mapped_column(Integer)
    picked: Mapped[list] = mapped_column(JSON, default=list)  # recording ids, in draw order
    min_seconds: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")  # why redrawn; "" for a first draw
    replaces: Mapped[list] = mapped_column(JSON, default=list)  # sample ids retired by a redraw
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id])
    agent: Mapped[Agent] = relationship()


class SampledCall(Base):
    """A sampled call in an inspector's set for one agent and month, and its grade.

    ``claim`` holds the recording id while the sample is active and is unique,
    so the database itself refuses one call in two inspectors' sets; a redraw
    retires the sample (``claim`` NULL, ``retired_at``) and keeps its grade as
    history.
    """

    __tablename__ = "inspection_samples"
    __table_args__ = (
        Index("ix_inspection_samples_month_agent", "month", "agent_id"),
        Index("ix_inspection_samples_month_inspector", "month", "inspector_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_draws.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[str] = mapped_column(String(7))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("call_recordings.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[int] = mapped_column(Integer)  # 1..size within the inspector's set
    claim: Mapped[int | None] = mapped_column(Integer, unique=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    entries: Mapped[dict] = mapped_column(JSON, default=dict)  # item id -> entry
    suggested: Mapped[dict] = mapped_column(JSON, default=dict)  # what the transcript suggested
    note: Mapped[str] = mapped_column(Text, default="")
    graded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    draw: Mapped[SampleDraw] = relationship()
    recording: Mapped[CallRecording] = relationship()
    agent: Mapped[Agent] = relationship()
    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id])

    @property
    def active(self) -> bool:
        return self.claim is not None

    @property
    def graded(self) -> bool:
        return self.graded_at is not None


class AgentMonthEntry(Base):
    """The team leader's composite (weighted sections) and the direct sections of a month."""

    __tablename__ = "inspection_entries"
    __table_args__ = (UniqueConstraint("month", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    rubric_id: Mapped[str] = mapped_column(String(64))
    leader_entries: Mapped[dict] = mapped_column(JSON, default=dict)
    direct_entries: Mapped[dict] = mapped_column(JSON, default=dict)
    evidence: Mapped[str] = mapped_column(Text, default="")  # what the bonus points are for
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AgentMonthResult(Base):
    """An agent's month as scored by ivr.grading.scoring, refreshed on every save.

    ``status`` is a :class:`ResultStatus`.
    ``rubric_digest`` names the rubric file version; a result scored under an
    older file is scored again when read.
    """

    __tablename__ = "inspection_results"
    __table_args__ = (UniqueConstraint("month", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    rubric_id: Mapped[str] = mapped_column(String(64))
    rubric_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    total_x100: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(8))
    sections: Mapped[dict] = mapped_column(JSON, default=dict)  # section id -> hundredths
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # AgentScore.as_dict() and notes
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScoreFigure(Base):
    """One section figure behind a result: a sampled call's, the team leader's or a direct one.

    Written with the result; lets plain SQL re-add the month (``ivr inspection check``).
    ``source`` is a :class:`FigureSource`.
    """

    __tablename__ = "inspection_figures"
    __table_args__ = (Index("ix_inspection_figures_month_agent", "month", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(8))
    sample_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspection_samples.id", ondelete="CASCADE")
    )
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    section_id: Mapped[str] = mapped_column(String(32))
    score_x100: Mapped[int] = mapped_column(Integer)
