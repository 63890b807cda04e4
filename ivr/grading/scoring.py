"""Scoring a rubric: pure functions from entries to figures.

Entries name rubric items by id. What an entry holds depends on the item kind:

=========  =================================================  ====================
kind       entry                                              missing entry
=========  =================================================  ====================
choice     a level id (``"from_85_1"``), or a percentage       the level deducting 0
           (``Decimal("88.5")``) when the levels have ranges
check      ``True``/``False`` (violated), or how many times    not violated
           (``0..max_times``)
count      occurrences, a whole number >= 0                    0
score      points awarded, ``0..points``                       full points
=========  =================================================  ====================

So "nothing noted" means "nothing deducted", as on the paper form.

Weighted sections (spec §4): "政策水平=班长综合评分×40%+(提取录音+提取录音+提取录音)÷3×60%".
Each call an inspector samples is scored per section (points minus deductions,
never below 0); each inspector's calls are averaged; the inspectors' means are
averaged; the section is ``team_leader × w + recordings_mean × (1 - w)``.

Rounding: every figure shown is rounded to 2 decimals (half up) and the next
step uses the rounded figure, as a person filling in the form would, so the
figures on a result always add up by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ivr.grading.results import (
    AgentScore,
    CallEntries,
    CallScore,
    Entries,
    Entry,
    InspectorScore,
    ItemResult,
    SectionScore,
    SectionTally,
    round2,
)
from ivr.grading.rubric import Item, Rubric, Section

ZERO = Decimal(0)


class ScoringError(ValueError):
    """Entries do not fit the rubric (unknown item, bad value, missing recordings)."""


def item_result(item: Item, entry: Entry) -> ItemResult:
    """Score one item's entry; raises :class:`ScoringError` for a bad value."""
    if item.kind == "choice":
        if entry is None:
            level = item.zero_level
            if level is None:
                raise ScoringError(f"item {item.id!r}: choose a level")
        elif isinstance(entry, str):
            try:
                level = item.level(entry)
            except KeyError:
                options = ", ".join(lv.id for lv in item.levels)
                raise ScoringError(
                    f"item {item.id!r}: unknown level {entry!r} (one of {options})"
                ) from None
        else:
            percent = _number(item, entry)
            found = item.level_for_percent(percent)
            if found is None:
                raise ScoringError(f"item {item.id!r}: no level covers {percent}%")
            level = found
        return ItemResult(item.id, level.id, level.deduct)

    if item.kind == "check":
        if entry is None:
            times = 0
        elif isinstance(entry, bool):
            times = int(entry)
        elif isinstance(entry, int) and 0 <= entry <= item.max_times:
            times = entry
        else:
            raise ScoringError(
                f"item {item.id!r}: expected true/false or 0..{item.max_times}, not {entry!r}"
            )
        assert item.amount is not None
        return ItemResult(item.id, times, item.amount * times)

    if item.kind == "count":
        if entry is None:
            entry = 0
        if isinstance(entry, bool) or not isinstance(entry, int) or entry < 0:
            raise ScoringError(f"item {item.id!r}: expected a whole number >= 0, not {entry!r}")
        assert item.amount is not None
        return ItemResult(item.id, entry, item.amount * entry)

    # score: points awarded
    assert item.points is not None
    awarded = item.points if entry is None else _number(item, entry)
    if not ZERO <= awarded <= item.points:
        raise ScoringError(f"item {item.id!r}: award 0..{item.points} points, not {awarded}")
    return ItemResult(item.id, awarded, item.points - awarded)


def tally_section(section: Section, entries: Entries) -> SectionTally:
    """Score ``entries`` against one section; entries for other items are ignored."""
    results = {item.id: item_result(item, entries.get(item.id)) for item in section.items}
    raw = sum((r.amount for r in results.values()), ZERO)
    if section.bonus:
        return SectionTally(
            section.id, results, raw, min(raw, section.points), capped=raw > section.points
        )
    return SectionTally(
        section.id, results, raw, max(ZERO, section.points - raw), floored=raw > section.points
    )


def score_call(
    rubric: Rubric, entries: Entries | CallEntries, *, index: int = 0, call_id: str | None = None
) -> CallScore:
    """Score one sampled recording for every weighted section of ``rubric``."""
    if isinstance(entries, CallEntries):
        call_id = entries.call_id if call_id is None else call_id
        entries = entries.entries
    _check_keys(rubric, entries, weighted=True, whose="a recording")
    sections = {s.id: tally_section(s, entries) for s in rubric.weighted_sections}
    return CallScore(index=index, call_id=call_id, sections=sections)


def score_agent(
    rubric: Rubric,
    *,
    team_leader: Entries | None = None,
    recordings: Mapping[str, Sequence[Entries | CallEntries]] | None = None,
    direct: Entries | None = None,
    team_leader_scores: Mapping[str, Decimal | int | float | str] | None = None,
) -> AgentScore:
    """Score the whole form.

    ``team_leader``: the team leader's composite (班长综合评分), item id ->
    entry, for items of weighted sections. ``team_leader_scores``: instead,
    section id -> the composite as a number (0..points); wins over entries.
    ``recordings``: inspector -> that inspector's sampled calls (normally
    ``calls_per_inspector`` = 3), each item id -> entry or :class:`CallEntries`.
    ``direct``: item id -> entry for the direct sections, bonus included.
    """
    team_leader = team_leader or {}
    team_leader_scores = team_leader_scores or {}
    recordings = recordings or {}
    direct = direct or {}
    warnings: list[str] = []

    _check_keys(rubric, team_leader, weighted=True, whose="the team leader's entries")
    _check_keys(rubric, direct, weighted=False, whose="the direct entries")
    for section_id in team_leader_scores:
        try:
            section = rubric.section(section_id)
        except KeyError:
            raise ScoringError(f"team_leader_scores: unknown section {section_id!r}") from None
        if not section.weighted:
            raise ScoringError(f"team_leader_scores: section {section_id!r} is not weighted")

    weighted = rubric.weighted_sections
    inspectors: dict[str, InspectorScore] = {}
    if weighted:
        if not recordings:
            raise ScoringError("no sampled recordings: the weighted sections need at least one")
        for inspector, calls in recordings.items():
            if isinstance(calls, Mapping | CallEntries) or not calls:
                raise ScoringError(f"inspector {inspector!r}: expected a list of calls")
            scored = tuple(score_call(rubric, call, index=i) for i, call in enumerate(calls))
            means = {
                s.id: round2(sum((c.sections[s.id].score for c in scored), ZERO) / len(scored))
                for s in weighted
            }
            complete = all(len(scored) == s.calls_per_inspector for s in weighted)
            if not complete:
                expected = weighted[0].calls_per_inspector
                warnings.append(
                    f"inspector {inspector!r} scored {len(scored)} calls, expected {expected}"
                )
            inspectors[inspector] = InspectorScore(inspector, scored, means, complete)
    elif recordings:
        raise ScoringError(f"rubric {rubric.id!r} has no weighted sections for recordings")

    sections: dict[str, SectionScore] = {}
    for section in rubric.sections:
        if section.weighted:
            sections[section.id] = _weighted(section, team_leader, team_leader_scores, inspectors)
        else:
            tally = tally_section(section, direct)
            sections[section.id] = SectionScore(
                section_id=section.id,
                source=section.source,
                mode=section.mode,
                points=section.points,
                score=round2(tally.score),
                tally=tally,
            )

    base = sum((s.score for s in sections.values() if s.mode != "add"), ZERO)
    bonus_sections = [sections[s.id] for s in rubric.sections if s.bonus]
    bonus_raw = sum((s.tally.raw for s in bonus_sections if s.tally), ZERO)
    bonus = sum((s.score for s in bonus_sections), ZERO)
    total = round2(base + bonus)
    return AgentScore(
        rubric_id=rubric.id,
        sections=sections,
        inspectors=inspectors,
        base=round2(base),
        bonus_raw=round2(bonus_raw),
        bonus=round2(bonus),
        total=total,
        max_total=rubric.max_total,
        band=rubric.grade_for(total),
        warnings=tuple(warnings),
    )


def _weighted(
    section: Section,
    team_leader: Entries,
    team_leader_scores: Mapping[str, Any],
    inspectors: Mapping[str, InspectorScore],
) -> SectionScore:
    assert section.weights is not None
    tally: SectionTally | None = None
    if section.id in team_leader_scores:
        leader = _number_for(f"team leader's {section.id!r}", team_leader_scores[section.id])
        if not ZERO <= leader <= section.points:
            raise ScoringError(
                f"team leader's {section.id!r} score must be 0..{section.points}, not {leader}"
            )
    else:
        tally = tally_section(section, team_leader)
        leader = tally.score
    inspector_means = {name: ins.means[section.id] for name, ins in inspectors.items()}
    recordings_mean = round2(sum(inspector_means.values(), ZERO) / len(inspector_means))
    score = round2(
        leader * section.weights.team_leader + recordings_mean * section.weights.recordings
    )
    return SectionScore(
        section_id=section.id,
        source=section.source,
        mode=section.mode,
        points=section.points,
        score=score,
        team_leader=tally,
        team_leader_score=round2(leader),
        inspector_means=inspector_means,
        recordings_mean=recordings_mean,
    )


def _check_keys(rubric: Rubric, entries: Entries, *, weighted: bool, whose: str) -> None:
    if not isinstance(entries, Mapping):
        raise ScoringError(f"{whose}: expected a mapping of item id -> entry")
    for item_id in entries:
        item = rubric.items.get(item_id)
        if item is None:
            raise ScoringError(f"{whose}: unknown item {item_id!r} in rubric {rubric.id!r}")
        section = rubric.section(item.section_id)
        if section.weighted != weighted:
            raise ScoringError(
                f"{whose}: item {item_id!r} belongs to the {section.source} section {section.id!r}"
            )


def _number(item: Item, value: Any) -> Decimal:
    return _number_for(f"item {item.id!r}", value)


def _number_for(what: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ScoringError(f"{what}: expected a number, not {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ScoringError(f"{what}: expected a number, not {value!r}") from None
    if not number.is_finite():
        raise ScoringError(f"{what}: expected a number, not {value!r}")
    return number
