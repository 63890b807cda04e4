"""What the inspection templates show, gathered from the database and the scoring engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.grading import AgentScore, Item, Label, Section, SectionScore, score_call
from ivr.inspection import entries as form_entries
from ivr.inspection import transcript as tx
from ivr.inspection.models import SampledCall
from ivr.inspection.results import MonthScore
from ivr.inspection.rubric import Grading
from ivr.staff.models import User

# Inspectors' means this far apart (share of the section's points) are flagged.
DISAGREEMENT = Decimal("0.10")


def groups(section: Section) -> list[tuple[Label | None, list[Item]]]:
    """The section's items in order, consecutive items of one ``group`` together."""
    out: list[tuple[Label | None, list[Item]]] = []
    for item in section.items:
        if out and out[-1][0] == item.group:
            out[-1][1].append(item)
        else:
            out.append((item.group, [item]))
    return out


def fmt(value: Decimal | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def plain(value: Decimal | None) -> str:
    """``0.50`` -> ``0.5``; ``35`` -> ``35``."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


@dataclass
class GradingPage:
    sample: SampledCall
    lines: list[tx.Line]
    hints: list[tx.Hint]
    values: dict[str, str]  # item id -> form value
    suggested: dict[str, str]  # item id -> suggested form value
    sections: tuple[Section, ...]
    call_scores: dict[str, Decimal]
    siblings: list[SampledCall]


def grading_page(
    session: Session,
    grading: Grading,
    sample: SampledCall,
    *,
    posted: Mapping[str, Any] | None = None,
    raw: Mapping[str, str] | None = None,
) -> GradingPage:
    """The grading page of ``sample``: saved entries, else the transcript's suggestions.

    After a refused save, ``posted`` holds the entries that parsed and ``raw``
    the form as sent, shown again as typed.
    """
    rubric = grading.rubric
    sections = rubric.weighted_sections
    transcript = sample.recording.transcript or {}
    report = tx.detection(grading, transcript)
    suggested_entries = tx.suggested_entries(report)
    if posted is not None:
        current = {**form_entries.defaults(sections), **posted}
    elif sample.graded:
        current = {**form_entries.defaults(sections), **sample.entries}
    else:
        current = {**form_entries.defaults(sections), **suggested_entries}
    values = {
        item.id: form_entries.field_value(item, current.get(item.id))
        for section in sections
        for item in section.items
    }
    if raw is not None:
        values = {
            item_id: str(raw.get(form_entries.field_name(rubric.item(item_id)), ""))
            for item_id in values
        }
    suggested = {
        item_id: form_entries.field_value(rubric.item(item_id), entry)
        for item_id, entry in suggested_entries.items()
    }
    try:
        call = score_call(rubric, {k: v for k, v in current.items() if k in rubric.items})
        call_scores = {sid: tally.score for sid, tally in call.sections.items()}
    except ValueError:
        call_scores = {}
    siblings = list(
        session.scalars(
            select(SampledCall)
            .where(
                SampledCall.month == sample.month,
                SampledCall.inspector_id == sample.inspector_id,
                SampledCall.agent_id == sample.agent_id,
                SampledCall.claim.is_not(None),
            )
            .order_by(SampledCall.slot)
        )
    )
    return GradingPage(
        sample=sample,
        lines=tx.lines(transcript),
        hints=tx.hints(grading, report),
        values=values,
        suggested=suggested,
        sections=sections,
        call_scores=call_scores,
        siblings=siblings,
    )


@dataclass
class InspectorColumn:
    """One inspector's calls and means on the agent's month page."""

    user_id: int
    label: str
    samples: list[SampledCall]
    call_scores: dict[int, dict[str, Decimal]]  # sample id -> section -> score
    means: dict[str, Decimal]
    complete: bool


@dataclass
class MonthPage:
    scored: MonthScore
    columns: list[InspectorColumn]
    weighted: list[tuple[Section, SectionScore | None, bool]]  # section, figures, disagreement
    direct: list[tuple[Section, SectionScore | None, list[tuple[Item, Any, Decimal]]]]
    score: AgentScore | None
    warnings: list[str] = field(default_factory=list)


def month_page(
    grading: Grading, scored: MonthScore, users: Mapping[int, User], *, anonymous: bool
) -> MonthPage:
    """The agent's month: sections, each inspector side by side, direct entries, total.

    ``anonymous``: name inspectors "质检员 1, 2 …" (the page an agent sees).
    """
    rubric = grading.rubric
    score = scored.score
    columns: list[InspectorColumn] = []
    for number, inspector_id in enumerate(scored.inspector_ids, 1):
        user = users.get(inspector_id)
        name = (user.display_name or user.username) if user else str(inspector_id)
        label = f"质检员 Inspector {number}" if anonymous else name
        samples = [s for s in scored.samples if s.inspector_id == inspector_id]
        inspected = score.inspectors.get(str(inspector_id)) if score else None
        call_scores: dict[int, dict[str, Decimal]] = {}
        if inspected:
            for call in inspected.calls:
                assert call.call_id is not None
                call_scores[int(call.call_id)] = {
                    sid: tally.score for sid, tally in call.sections.items()
                }
        columns.append(
            InspectorColumn(
                user_id=inspector_id,
                label=label,
                samples=samples,
                call_scores=call_scores,
                means=dict(inspected.means) if inspected else {},
                complete=bool(inspected and inspected.complete) and all(s.graded for s in samples),
            )
        )
    weighted = []
    for section in rubric.weighted_sections:
        figures = score.sections.get(section.id) if score else None
        means = list((figures.inspector_means or {}).values()) if figures else []
        spread = (max(means) - min(means)) if len(means) > 1 else Decimal(0)
        weighted.append((section, figures, spread >= section.points * DISAGREEMENT))
    direct_entries = scored.entry.direct_entries if scored.entry else {}
    direct = []
    for section in rubric.direct_sections:
        figures = score.sections.get(section.id) if score else None
        noted = []
        if figures and figures.tally:
            for item in section.items:
                result = figures.tally.items[item.id]
                if result.amount:
                    noted.append((item, direct_entries.get(item.id), result.amount))
        direct.append((section, figures, noted))
    warnings = [*(score.warnings if score else ()), *scored.problems]
    return MonthPage(scored, columns, weighted, direct, score, warnings)


def user_map(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}
