"""What scoring returns: frozen records of every figure and how it was reached.

Rounding is :func:`round2` (2 decimals, half up); :meth:`AgentScore.as_dict`
gives the JSON form, Decimals as strings with 2 decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ivr.grading.rubric import Band

Entry = bool | int | float | str | Decimal | None
Entries = Mapping[str, Entry]

CENT = Decimal("0.01")


def round2(value: Decimal) -> Decimal:
    """Round to 2 decimals, half up (as by hand)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CallEntries:
    """One sampled recording: item entries plus an optional id (e.g. the call's)."""

    entries: Entries
    call_id: str | None = None


@dataclass(frozen=True)
class ItemResult:
    """One item as scored.

    ``value``: the level id (choice), times violated (check), occurrences
    (count) or points awarded (score). ``amount``: points deducted, or added in
    an ``add`` section; always >= 0.
    """

    item_id: str
    value: str | int | Decimal
    amount: Decimal


@dataclass(frozen=True)
class SectionTally:
    """One set of entries scored against one section.

    ``raw`` is the sum of the items' amounts; ``score`` is ``points - raw``
    floored at 0 (``floored``), or for an ``add`` section ``raw`` capped at
    ``points`` (``capped``).
    """

    section_id: str
    items: Mapping[str, ItemResult]
    raw: Decimal
    score: Decimal
    floored: bool = False
    capped: bool = False


@dataclass(frozen=True)
class CallScore:
    """One sampled recording, scored for every weighted section."""

    index: int
    call_id: str | None
    sections: Mapping[str, SectionTally]


@dataclass(frozen=True)
class InspectorScore:
    """One inspector's sampled calls and, per weighted section, their mean."""

    inspector: str
    calls: tuple[CallScore, ...]
    means: Mapping[str, Decimal]
    complete: bool


@dataclass(frozen=True)
class SectionScore:
    """A section's final figure and how it was reached.

    Weighted sections fill ``team_leader_score`` (and ``team_leader`` when it
    was entered item by item), ``inspector_means`` (inspector -> mean of their
    calls, side by side) and ``recordings_mean``. Direct sections fill ``tally``.
    """

    section_id: str
    source: str
    mode: str
    points: Decimal
    score: Decimal
    team_leader: SectionTally | None = None
    team_leader_score: Decimal | None = None
    inspector_means: Mapping[str, Decimal] | None = None
    recordings_mean: Decimal | None = None
    tally: SectionTally | None = None


@dataclass(frozen=True)
class AgentScore:
    """The whole form for one agent and month."""

    rubric_id: str
    sections: Mapping[str, SectionScore]
    inspectors: Mapping[str, InspectorScore]
    base: Decimal
    bonus_raw: Decimal
    bonus: Decimal
    total: Decimal
    max_total: Decimal
    band: Band | None
    warnings: tuple[str, ...] = ()

    @property
    def grade(self) -> str | None:
        return self.band.grade if self.band else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals become strings with 2 decimals."""
        return _jsonable(self)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(round2(value))
    if isinstance(value, Band):
        return {
            "grade": value.grade,
            "min": str(value.min),
            "inclusive": value.inclusive,
            "label": None
            if value.label is None
            else {"zh-CN": value.label.zh_CN, "en-US": value.label.en_US},
        }
    if hasattr(value, "__dataclass_fields__"):
        out = {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
        if isinstance(value, AgentScore):
            out["grade"] = value.grade
        return out
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
