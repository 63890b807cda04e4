"""An agent's month scored by ivr.grading.scoring from what is stored, and kept.

:func:`score_month` is the one path from stored entries to figures: the team
leader's composite, every active graded sample grouped by inspector, and the
direct sections go to :func:`ivr.grading.score_agent`. :func:`recompute`
stores the outcome (a :class:`AgentMonthResult` and its :class:`ScoreFigure` rows); it
runs after every save, so reading a month's report is one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ivr.clock import utcnow
from ivr.grading import AgentScore, CallEntries, ScoringError, score_agent
from ivr.inspection.models import (
    AgentMonthEntry,
    AgentMonthResult,
    FigureSource,
    ResultStatus,
    SampledCall,
    ScoreFigure,
)
from ivr.inspection.rubric import Grading


def x100(value: Decimal) -> int:
    """Points -> whole hundredths (figures are already rounded to 2 decimals)."""
    return int((value * 100).to_integral_value())


def points(hundredths: int | None) -> Decimal | None:
    return None if hundredths is None else Decimal(hundredths) / 100


@dataclass
class MonthScore:
    """The month's inputs and, once any recording is graded, the engine's result."""

    month: str
    agent_id: int
    entry: AgentMonthEntry | None
    samples: list[SampledCall]  # active samples, graded or not, by inspector then slot
    score: AgentScore | None
    problems: list[str] = field(default_factory=list)

    @property
    def graded(self) -> list[SampledCall]:
        return [s for s in self.samples if s.graded]

    @property
    def inspector_ids(self) -> list[int]:
        return sorted({s.inspector_id for s in self.samples})

    @property
    def status(self) -> str:
        if self.score is None:
            return ResultStatus.PENDING
        leader_done = self.entry is not None and self.entry.entered_at is not None
        sets_done = all(s.graded for s in self.samples) and all(
            i.complete for i in self.score.inspectors.values()
        )
        done = leader_done and sets_done and not self.problems
        return ResultStatus.COMPLETE if done else ResultStatus.PARTIAL


def score_month(session: Session, grading: Grading, month: str, agent_id: int) -> MonthScore:
    """Score one agent's month from the stored entries (nothing is written)."""
    entry = session.scalar(
        select(AgentMonthEntry).where(
            AgentMonthEntry.month == month, AgentMonthEntry.agent_id == agent_id
        )
    )
    samples = list(
        session.scalars(
            select(SampledCall)
            .where(
                SampledCall.month == month,
                SampledCall.agent_id == agent_id,
                SampledCall.claim.is_not(None),
            )
            .order_by(SampledCall.inspector_id, SampledCall.slot, SampledCall.id)
        )
    )
    return _score(grading, month, agent_id, entry, samples)


def _score(
    grading: Grading,
    month: str,
    agent_id: int,
    entry: AgentMonthEntry | None,
    samples: list[SampledCall],
) -> MonthScore:
    recordings: dict[str, list[CallEntries]] = {}
    for sample in samples:
        if sample.graded:
            recordings.setdefault(str(sample.inspector_id), []).append(
                CallEntries(sample.entries, call_id=str(sample.id))
            )
    result = MonthScore(month, agent_id, entry, samples, None)
    if not recordings:
        return result
    try:
        result.score = score_agent(
            grading.rubric,
            team_leader=entry.leader_entries if entry else None,
            recordings=recordings,
            direct=entry.direct_entries if entry else None,
        )
    except ScoringError as exc:  # entries stored under another rubric version
        result.problems.append(str(exc))
    return result


def recompute(session: Session, grading: Grading, month: str, agent_id: int) -> AgentMonthResult:
    """Score the month again and store the result and its figures (the caller commits)."""
    scored = score_month(session, grading, month, agent_id)
    return store(session, grading, scored)


def recompute_many(
    session: Session, grading: Grading, month: str, agent_ids: Iterable[int]
) -> list[AgentMonthResult]:
    """:func:`recompute` for several agents with three queries instead of two per agent."""
    ids = sorted(set(agent_ids))
    if not ids:
        return []
    entries = {
        e.agent_id: e
        for e in session.scalars(
            select(AgentMonthEntry).where(
                AgentMonthEntry.month == month, AgentMonthEntry.agent_id.in_(ids)
            )
        )
    }
    by_agent: dict[int, list[SampledCall]] = {agent_id: [] for agent_id in ids}
    for sample in session.scalars(
        select(SampledCall)
        .where(
            SampledCall.month == month,
            SampledCall.agent_id.in_(ids),
            SampledCall.claim.is_not(None),
        )
        .order_by(SampledCall.inspector_id, SampledCall.slot, SampledCall.id)
    ):
        by_agent[sample.agent_id].append(sample)
    existing = {
        r.agent_id: r
        for r in session.scalars(
            select(AgentMonthResult).where(
                AgentMonthResult.month == month, AgentMonthResult.agent_id.in_(ids)
            )
        )
    }
    session.execute(
        delete(ScoreFigure).where(ScoreFigure.month == month, ScoreFigure.agent_id.in_(ids))
    )
    return [
        store(
            session,
            grading,
            _score(grading, month, agent_id, entries.get(agent_id), by_agent[agent_id]),
            existing=existing.get(agent_id),
            figures_cleared=True,
        )
        for agent_id in ids
    ]


def store(
    session: Session,
    grading: Grading,
    scored: MonthScore,
    *,
    existing: AgentMonthResult | None = None,
    figures_cleared: bool = False,
) -> AgentMonthResult:
    month, agent_id = scored.month, scored.agent_id
    if not figures_cleared:
        session.execute(
            delete(ScoreFigure).where(ScoreFigure.month == month, ScoreFigure.agent_id == agent_id)
        )
    result = existing or session.scalar(
        select(AgentMonthResult).where(
            AgentMonthResult.month == month, AgentMonthResult.agent_id == agent_id
        )
    )
    if result is None:
        result = AgentMonthResult(month=month, agent_id=agent_id)
    score = scored.score
    result.rubric_id = grading.rubric.id
    result.rubric_digest = grading.digest
    result.status = scored.status
    result.computed_at = utcnow()
    if score is None:
        result.total_x100 = None
        result.grade = None
        result.sections = {}
        result.detail = {"problems": scored.problems}
        session.add(result)
        return result
    result.total_x100 = x100(score.total)
    result.grade = score.grade
    result.sections = {sid: x100(s.score) for sid, s in score.sections.items()}
    result.detail = {
        "base": str(score.base),
        "bonus_raw": str(score.bonus_raw),
        "warnings": list(score.warnings),
        "problems": scored.problems,
        "inspector_means": {
            sid: {name: str(mean) for name, mean in (s.inspector_means or {}).items()}
            for sid, s in score.sections.items()
            if s.inspector_means is not None
        },
    }
    session.add(result)
    session.add_all(_figures(scored, score))
    return result


def _figures(scored: MonthScore, score: AgentScore) -> list[ScoreFigure]:
    month, agent_id = scored.month, scored.agent_id
    rows: list[ScoreFigure] = []
    for inspector, inspected in score.inspectors.items():
        for call in inspected.calls:
            for section_id, tally in call.sections.items():
                rows.append(
                    ScoreFigure(
                        month=month,
                        agent_id=agent_id,
                        source=FigureSource.CALL,
                        sample_id=int(call.call_id) if call.call_id else None,
                        inspector_id=int(inspector),
                        section_id=section_id,
                        score_x100=x100(tally.score),
                    )
                )
    for section_id, section in score.sections.items():
        if section.team_leader_score is not None:
            figure = ScoreFigure(
                source=FigureSource.LEADER, score_x100=x100(section.team_leader_score)
            )
        else:
            figure = ScoreFigure(source=FigureSource.DIRECT, score_x100=x100(section.score))
        figure.month, figure.agent_id, figure.section_id = month, agent_id, section_id
        rows.append(figure)
    return rows
