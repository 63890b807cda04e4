"""Grading forms (rubrics) as data: sections, items, levels, grade bands.

A rubric is a list of sections; each section has points, a source and items.
The file format is described at the top of ``flows/rubrics/12333-monthly.yaml``;
:mod:`ivr.grading.rubric_file` reads and validates it into these classes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

LOCALES = ("zh-CN", "en-US")
ITEM_KINDS = ("choice", "check", "count", "score")
SOURCES = ("weighted", "direct")
MODES = ("deduct", "add")


@dataclass(frozen=True)
class Label:
    """A text in both locales the centre uses."""

    zh_CN: str
    en_US: str

    @classmethod
    def of(cls, texts: Mapping[str, str]) -> Label:
        """From texts keyed by locale (``{"zh-CN": ..., "en-US": ...}``)."""
        return cls(zh_CN=texts["zh-CN"], en_US=texts["en-US"])

    def get(self, locale: str = "zh-CN") -> str:
        return self.en_US if locale.lower().startswith("en") else self.zh_CN


@dataclass(frozen=True)
class PercentRange:
    """Percentages a choice level covers, e.g. ``(80, 85]`` for "80.1%～85%"."""

    low: Decimal | None
    low_inclusive: bool
    high: Decimal | None
    high_inclusive: bool

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, Decimal):
            return False
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return (
            self.high is None or value < self.high or (value == self.high and self.high_inclusive)
        )


@dataclass(frozen=True)
class Level:
    """One level of a ``choice`` item."""

    id: str
    label: Label
    deduct: Decimal
    percent: PercentRange | None = None


@dataclass(frozen=True)
class Item:
    """One line of a form.

    ``amount`` is what one violation (``check``) or occurrence (``count``)
    deducts, or adds in an ``add`` section; ``None`` for ``choice``/``score``.
    ``points`` is the item's maximum for ``choice`` and ``score`` items.
    ``max_times`` is how often a ``check`` may be violated (default 1).
    """

    id: str
    kind: str
    label: Label
    section_id: str
    amount: Decimal | None = None
    points: Decimal | None = None
    max_times: int = 1
    levels: tuple[Level, ...] = ()
    detect: str | None = None
    group: Label | None = None
    note: Label | None = None
    line: int = 0

    def level(self, level_id: str) -> Level:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)

    def level_for_percent(self, percent: Decimal) -> Level | None:
        for level in self.levels:
            if level.percent is not None and percent in level.percent:
                return level
        return None

    @property
    def zero_level(self) -> Level | None:
        """The level picked when a ``choice`` item has no entry (nothing deducted)."""
        return next((level for level in self.levels if level.deduct == 0), None)

    @property
    def max_amount(self) -> Decimal | None:
        """The most this item can deduct/add; ``None`` for unbounded ``count`` items."""
        if self.kind == "choice":
            return max(level.deduct for level in self.levels)
        if self.kind == "score":
            return self.points
        if self.kind == "check":
            assert self.amount is not None
            return self.amount * self.max_times
        return None


@dataclass(frozen=True)
class Weights:
    """How a weighted section combines its two figures (they sum to 1)."""

    team_leader: Decimal
    recordings: Decimal


@dataclass(frozen=True)
class Section:
    id: str
    label: Label
    points: Decimal
    source: str  # "weighted" | "direct"
    mode: str  # "deduct" | "add"
    items: tuple[Item, ...]
    weights: Weights | None = None
    calls_per_inspector: int | None = None
    formula: str | None = None
    note: Label | None = None
    line: int = 0

    @property
    def weighted(self) -> bool:
        return self.source == "weighted"

    @property
    def bonus(self) -> bool:
        return self.mode == "add"


@dataclass(frozen=True)
class Band:
    """A grade: totals from ``min`` (inclusive, or exclusive when not ``inclusive``)."""

    grade: str
    min: Decimal
    inclusive: bool = True
    label: Label | None = None

    def contains(self, total: Decimal) -> bool:
        return total >= self.min if self.inclusive else total > self.min


@dataclass(frozen=True)
class Rubric:
    id: str
    label: Label
    base: Decimal
    sections: tuple[Section, ...]
    bands: tuple[Band, ...] = ()
    reference: str | None = None
    path: str = ""
    items: Mapping[str, Item] = field(default_factory=dict, compare=False)

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def item(self, item_id: str) -> Item:
        return self.items[item_id]

    @property
    def bonus_cap(self) -> Decimal:
        return sum((s.points for s in self.sections if s.bonus), Decimal(0))

    @property
    def max_total(self) -> Decimal:
        return self.base + self.bonus_cap

    @property
    def weighted_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.weighted)

    @property
    def direct_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if not s.weighted)

    def grade_for(self, total: Decimal) -> Band | None:
        """The band ``total`` falls in; ``None`` when the rubric has no bands."""
        for band in self.bands:
            if band.contains(total):
                return band
        return None

    def detect_items(self) -> Iterator[Item]:
        """Items that name a transcript check."""
        return (item for item in self.items.values() if item.detect)


__all__ = [
    "ITEM_KINDS",
    "LOCALES",
    "Band",
    "Item",
    "Label",
    "Level",
    "PercentRange",
    "Rubric",
    "Section",
    "Weights",
]
