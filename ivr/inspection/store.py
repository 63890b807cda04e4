"""Saving grades and monthly entries: checked by the scoring engine, audited, re-scored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.clock import utcnow
from ivr.grading import CallScore, score_call, tally_section
from ivr.inspection.models import AgentMonthEntry, AgentMonthResult, SampledCall
from ivr.inspection.results import recompute
from ivr.inspection.rubric import Grading
from ivr.staff.models import AuditEvent


class NotAllowed(PermissionError):
    pass


def save_grade(
    session: Session,
    grading: Grading,
    sample: SampledCall,
    entries: Mapping[str, Any],
    *,
    actor_id: int,
    suggested: Mapping[str, Any] | None = None,
    note: str = "",
) -> tuple[CallScore, AgentMonthResult]:
    """Store the inspector's entries for a sampled call and re-score the agent's month.

    Only the inspector whose set holds the sample may grade it, and only while
    it is active. ``suggested``: what the transcript checks proposed, kept so
    the audit shows which suggestions were confirmed and which overridden.
    """
    if actor_id != sample.inspector_id:
        raise NotAllowed("only the inspector who drew this call grades it")
    if not sample.active:
        raise NotAllowed("this call was redrawn; its grade can no longer change")
    call = score_call(grading.rubric, dict(entries), call_id=str(sample.id))
    suggested = dict(suggested or {})
    previous = dict(sample.entries) if sample.graded else None
    sample.entries = dict(entries)
    sample.suggested = suggested
    sample.note = note.strip()
    sample.graded_by = actor_id
    sample.graded_at = utcnow()
    session.add(
        AuditEvent(
            user_id=actor_id,
            action="grade",
            object_type="inspection_sample",
            object_id=str(sample.id),
            detail={
                "month": sample.month,
                "agent_id": sample.agent_id,
                "recording_id": sample.recording_id,
                "scores": {sid: str(t.score) for sid, t in call.sections.items()},
                "entries": dict(entries),
                "changed": _changes(previous, entries),
                "suggestions_confirmed": sorted(
                    k for k, v in suggested.items() if entries.get(k) == v
                ),
                "suggestions_overridden": sorted(
                    k for k, v in suggested.items() if entries.get(k) != v
                ),
            },
        )
    )
    session.flush()
    result = recompute(session, grading, sample.month, sample.agent_id)
    return call, result


def save_month_entries(
    session: Session,
    grading: Grading,
    month: str,
    agent_id: int,
    *,
    leader: Mapping[str, Any],
    direct: Mapping[str, Any],
    evidence: str,
    note: str = "",
    actor_id: int,
) -> tuple[AgentMonthEntry, AgentMonthResult]:
    """Store the team leader's composite and the direct sections, then re-score the month."""
    rubric = grading.rubric
    for section in rubric.weighted_sections:
        tally_section(section, leader)  # raises ScoringError on a bad entry
    bonus = 0
    for section in rubric.direct_sections:
        tally = tally_section(section, direct)
        if section.bonus:
            bonus += tally.raw
    evidence = evidence.strip()
    if bonus and not evidence:
        raise ValueError("附加得分需要说明依据 Bonus points need their evidence")
    entry = session.scalar(
        select(AgentMonthEntry).where(
            AgentMonthEntry.month == month, AgentMonthEntry.agent_id == agent_id
        )
    )
    previous = None
    if entry is None:
        entry = AgentMonthEntry(month=month, agent_id=agent_id)
        session.add(entry)
    elif entry.entered_at is not None:
        previous = {**entry.leader_entries, **entry.direct_entries}
    entry.rubric_id = rubric.id
    entry.leader_entries = dict(leader)
    entry.direct_entries = dict(direct)
    entry.evidence = evidence
    entry.note = note.strip()
    entry.entered_by = actor_id
    entry.entered_at = utcnow()
    session.flush()
    session.add(
        AuditEvent(
            user_id=actor_id,
            action="grade",
            object_type="inspection_entry",
            object_id=str(entry.id),
            detail={
                "month": month,
                "agent_id": agent_id,
                "entries": {**leader, **direct},
                "changed": _changes(previous, {**leader, **direct}),
                "evidence": evidence,
            },
        )
    )
    result = recompute(session, grading, month, agent_id)
    return entry, result


def _changes(previous: Mapping[str, Any] | None, entries: Mapping[str, Any]) -> dict[str, Any]:
    """Entries that differ from before: item id -> [before, after]; {} on a first save."""
    if previous is None:
        return {}
    return {k: [previous.get(k), v] for k, v in entries.items() if previous.get(k) != v}
