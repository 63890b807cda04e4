"""Grading forms (rubrics) as data: load and validate ``flows/rubrics/*.yaml``.

A rubric is a list of sections; each section has points, a source and items.
The file format is described at the top of ``flows/rubrics/12333-monthly.yaml``.
Every problem in a file is raised as :class:`~ivr.flows.yamlfile.FlowFileError`
whose ``str()`` reads ``file:line: reason``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ivr.flows.yamlfile import FlowFileError, Located, LocatedList, load_yaml

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_RUBRICS_DIR = ROOT / "flows" / "rubrics"

LOCALES = ("zh-CN", "en-US")
ITEM_KINDS = ("choice", "check", "count", "score")
SOURCES = ("weighted", "direct")
MODES = ("deduct", "add")

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ID_RULE = "lower-case ascii letters, digits, '_' or '-'"


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Label:
    """A text in both locales the centre uses."""

    zh_CN: str
    en_US: str

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


# --------------------------------------------------------------------------- loading


def load_rubrics(
    directory: Path | str = DEFAULT_RUBRICS_DIR, *, checks: Collection[str] | None = None
) -> dict[str, Rubric]:
    """Load every ``*.yaml`` rubric in ``directory``, keyed by rubric id.

    ``checks`` are the transcript-check names ``detect:`` may use; by default
    those defined in ``phrases.yaml`` next to the rubric directory.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FlowFileError(directory, None, "rubric directory not found")
    known = _CheckNames(directory / ".." / "phrases.yaml", checks)
    rubrics: dict[str, Rubric] = {}
    first_seen: dict[str, str] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        doc = load_yaml(path)
        rubric = _parse_rubric(doc, path, known)
        if rubric.id in rubrics:
            raise doc.error(
                f"duplicate rubric id {rubric.id!r} (also in {first_seen[rubric.id]})", "id"
            )
        rubrics[rubric.id] = rubric
        first_seen[rubric.id] = str(path)
    return rubrics


def load_rubric(path: Path | str, *, checks: Collection[str] | None = None) -> Rubric:
    """Load one rubric file; ``checks`` as for :func:`load_rubrics`."""
    path = Path(path)
    known = _CheckNames(path.parent / ".." / "phrases.yaml", checks)
    return _parse_rubric(load_yaml(path), path, known)


class _CheckNames:
    """The valid ``detect:`` names, read from the phrase file only when needed."""

    def __init__(self, phrases_path: Path, names: Collection[str] | None) -> None:
        self.phrases_path = phrases_path.resolve()
        self.names = None if names is None else frozenset(names)

    def get(self) -> frozenset[str]:
        if self.names is None:
            from ivr.grading.detect import load_phrases  # detect imports this module

            self.names = frozenset(load_phrases(self.phrases_path).checks)
        return self.names


def _parse_rubric(doc: Any, path: Path, checks: _CheckNames) -> Rubric:
    if not isinstance(doc, Located):
        raise FlowFileError(path, None, "a rubric file must be a mapping")
    _keys(doc, required=("id", "label", "base", "sections"), optional=("reference", "bands"))
    rubric_id = _id(doc, "id")
    label = _label(doc, "label")
    base = _number(doc, "base", positive=True)
    reference = _string(doc, "reference") if "reference" in doc else None

    raw_sections = _list(doc, "sections")
    sections: list[Section] = []
    items: dict[str, Item] = {}
    item_lines: dict[str, int] = {}
    section_lines: dict[str, int] = {}
    for index in range(len(raw_sections)):
        section_map = _entry(raw_sections, index, "a section")
        section = _parse_section(section_map, checks, items, item_lines)
        if section.id in section_lines:
            raise section_map.error(
                f"duplicate section id {section.id!r} (first at line {section_lines[section.id]})",
                "id",
            )
        section_lines[section.id] = section.line
        sections.append(section)

    deducted = sum((s.points for s in sections if not s.bonus), Decimal(0))
    if deducted != base:
        raise doc.error(
            f"sections scored by deduction add up to {_fmt(deducted)} points, but base is {_fmt(base)}",
            "base",
        )
    max_total = base + sum((s.points for s in sections if s.bonus), Decimal(0))
    bands = _parse_bands(doc, max_total) if "bands" in doc else ()
    return Rubric(
        id=rubric_id,
        label=label,
        base=base,
        sections=tuple(sections),
        bands=bands,
        reference=reference,
        path=str(path),
        items=items,
    )


_SECTION_KEYS = ("id", "label", "points", "source", "items")
_SECTION_OPTIONAL = ("mode", "weights", "calls_per_inspector", "formula", "note")


def _parse_section(
    m: Located, checks: _CheckNames, items: dict[str, Item], item_lines: dict[str, int]
) -> Section:
    _keys(m, required=_SECTION_KEYS, optional=_SECTION_OPTIONAL)
    section_id = _id(m, "id")
    label = _label(m, "label")
    points = _number(m, "points", positive=True)
    source = _choice(m, "source", SOURCES)
    mode = _choice(m, "mode", MODES) if "mode" in m else "deduct"
    note = _label(m, "note") if "note" in m else None

    weights = calls = formula = None
    if source == "weighted":
        if mode != "deduct":
            raise m.error("a weighted section must use mode: deduct", "mode")
        for key in ("weights", "calls_per_inspector"):
            if key not in m:
                raise m.error(f"a weighted section needs {key!r}")
        weights = _parse_weights(m)
        calls = _count(m, "calls_per_inspector")
        formula = _string(m, "formula") if "formula" in m else None
    else:
        for key in ("weights", "calls_per_inspector", "formula"):
            if key in m:
                raise m.error(f"{key!r} is only for source: weighted", key)

    raw_items = _list(m, "items")
    parsed: list[Item] = []
    for index in range(len(raw_items)):
        item_map = _entry(raw_items, index, "an item")
        item = _parse_item(item_map, section_id, points, mode, checks)
        if item.id in items:
            raise item_map.error(
                f"duplicate item id {item.id!r} (first at line {item_lines[item.id]})", "id"
            )
        items[item.id] = item
        item_lines[item.id] = item.line
        parsed.append(item)

    capped = sum((i.points for i in parsed if i.points is not None), Decimal(0))
    if capped > points:
        raise m.error(
            f"items' points add up to {_fmt(capped)}, more than the section's {_fmt(points)}",
            "points",
        )
    return Section(
        id=section_id,
        label=label,
        points=points,
        source=source,
        mode=mode,
        items=tuple(parsed),
        weights=weights,
        calls_per_inspector=calls,
        formula=formula,
        note=note,
        line=m.line,
    )


def _parse_weights(m: Located) -> Weights:
    w = m["weights"]
    if not isinstance(w, Located):
        raise m.error("weights must be a mapping {team_leader: ..., recordings: ...}", "weights")
    _keys(w, required=("team_leader", "recordings"))
    team_leader = _number(w, "team_leader")
    recordings = _number(w, "recordings")
    for key, value in (("team_leader", team_leader), ("recordings", recordings)):
        if value > 1:
            raise w.error(f"weight {key} is {_fmt(value)}; weights are fractions of 1", key)
    if team_leader + recordings != 1:
        raise w.error(f"weights add up to {_fmt(team_leader + recordings)}; they must add up to 1")
    return Weights(team_leader=team_leader, recordings=recordings)


# kind -> (required, optional) keys besides id, kind, label, group, note;
# "amount" stands for "deduct" or "add", after the section's mode.
_ITEM_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "choice": (("points", "levels"), ()),
    "check": (("amount",), ("max_times", "detect")),
    "count": (("amount",), ()),
    "score": (("points",), ()),
}


def _parse_item(
    m: Located, section_id: str, section_points: Decimal, mode: str, checks: _CheckNames
) -> Item:
    if "kind" not in m:
        raise m.error("missing 'kind' (one of: " + ", ".join(ITEM_KINDS) + ")")
    kind = _choice(m, "kind", ITEM_KINDS)
    amount_key = "add" if mode == "add" else "deduct"
    wrong_key = "deduct" if mode == "add" else "add"
    if wrong_key in m and kind in ("check", "count"):
        raise m.error(
            f"items of a mode: {mode} section use {amount_key!r}, not {wrong_key!r}", wrong_key
        )
    if mode == "add" and kind in ("choice", "score"):
        raise m.error(f"a {kind} item cannot be in a mode: add section", "kind")
    if "detect" in m and kind != "check":
        raise m.error(f"detect is only for check items, not {kind} items", "detect")
    required, optional = (
        tuple(amount_key if k == "amount" else k for k in keys) for keys in _ITEM_KEYS[kind]
    )
    _keys(
        m,
        required=("id", "kind", "label", *required),
        optional=(*optional, "group", "note"),
        what=f"a {kind} item",
    )

    item_id = _id(m, "id")
    label = _label(m, "label")
    group = _label(m, "group") if "group" in m else None
    note = _label(m, "note") if "note" in m else None
    amount = _number(m, amount_key, positive=True) if amount_key in m else None
    points = _number(m, "points", positive=True) if "points" in m else None
    max_times = _count(m, "max_times") if "max_times" in m else 1
    detect = None
    if "detect" in m:
        detect = _string(m, "detect")
        known = checks.get()
        if detect not in known:
            raise m.error(
                f"unknown detect name {detect!r} (known: {', '.join(sorted(known))})", "detect"
            )

    levels: tuple[Level, ...] = ()
    if kind == "choice":
        assert points is not None
        levels = _parse_levels(m, points)

    item = Item(
        id=item_id,
        kind=kind,
        label=label,
        section_id=section_id,
        amount=amount,
        points=points,
        max_times=max_times,
        levels=levels,
        detect=detect,
        group=group,
        note=note,
        line=m.line,
    )
    # One violation or occurrence worth more than the whole section is a typo.
    # (Several may well exceed it: the section is then floored at 0. Choice
    # levels and score points are bounded by the item's points, and those by
    # the section's.)
    if amount is not None and amount > section_points:
        what = "one violation" if kind == "check" else "one occurrence"
        raise m.error(
            f"{what} of {item_id!r} would {amount_key} {_fmt(amount)}, more than the "
            f"section's {_fmt(section_points)} points",
            amount_key,
        )
    return item


def _parse_levels(m: Located, points: Decimal) -> tuple[Level, ...]:
    raw = _list(m, "levels")
    if len(raw) < 2:
        raise raw.error("a choice item needs at least two levels")
    levels: list[Level] = []
    seen: set[str] = set()
    for index in range(len(raw)):
        lm = _entry(raw, index, "a level")
        _keys(lm, required=("id", "label", "deduct"), optional=("percent",), what="a level")
        level_id = _id(lm, "id")
        if level_id in seen:
            raise lm.error(f"duplicate level id {level_id!r}", "id")
        seen.add(level_id)
        deduct = _number(lm, "deduct")
        if deduct > points:
            raise lm.error(
                f"level {level_id!r} deducts {_fmt(deduct)}, more than the item's {_fmt(points)} points",
                "deduct",
            )
        percent = _parse_percent(lm) if "percent" in lm else None
        levels.append(Level(id=level_id, label=_label(lm, "label"), deduct=deduct, percent=percent))

    with_range = [level for level in levels if level.percent is not None]
    if with_range and len(with_range) != len(levels):
        raise raw.error("either every level has a percent range or none has")
    ordered = sorted(
        with_range,
        key=lambda lv: (
            lv.percent.low if lv.percent and lv.percent.low is not None else Decimal("-1")
        ),
    )
    for before, after in zip(ordered, ordered[1:], strict=False):
        assert before.percent is not None and after.percent is not None
        b, a = before.percent, after.percent
        if (
            b.high is None
            or a.low is None
            or b.high > a.low
            or (b.high == a.low and b.high_inclusive and a.low_inclusive)
        ):
            later = max(levels.index(before), levels.index(after))
            raise raw.error(
                f"percent ranges of levels {before.id!r} and {after.id!r} overlap", later
            )
    return tuple(levels)


def _parse_percent(lm: Located) -> PercentRange:
    p = lm["percent"]
    if not isinstance(p, Located):
        raise lm.error("percent must be a mapping such as {above: 80, max: 85}", "percent")
    _keys(p, optional=("above", "min", "below", "max"), what="a percent range")
    if "above" in p and "min" in p:
        raise p.error("use either 'above' or 'min', not both", "min")
    if "below" in p and "max" in p:
        raise p.error("use either 'below' or 'max', not both", "max")
    if not p:
        raise p.error("a percent range needs a bound (above/min, below/max)")
    low_key = "above" if "above" in p else "min" if "min" in p else None
    high_key = "below" if "below" in p else "max" if "max" in p else None
    low = _number(p, low_key) if low_key else None
    high = _number(p, high_key) if high_key else None
    for key, value in ((low_key, low), (high_key, high)):
        if value is not None and value > 100:
            raise p.error(f"{key} {_fmt(value)} is more than 100%", key)
    if (
        low is not None
        and high is not None
        and (low > high or (low == high and (low_key == "above" or high_key == "below")))
    ):
        raise p.error("the range is empty")
    return PercentRange(low, low_key == "min", high, high_key == "max")


def _parse_bands(doc: Located, max_total: Decimal) -> tuple[Band, ...]:
    raw = _list(doc, "bands")
    bands: list[Band] = []
    grades: set[str] = set()
    for index in range(len(raw)):
        bm = _entry(raw, index, "a band")
        _keys(bm, required=("grade",), optional=("above", "min", "label"), what="a band")
        grade = _string(bm, "grade")
        if grade in grades:
            raise bm.error(f"duplicate grade {grade!r}", "grade")
        grades.add(grade)
        if ("above" in bm) == ("min" in bm):
            raise bm.error("a band needs exactly one of 'above' (exclusive) or 'min' (inclusive)")
        key = "above" if "above" in bm else "min"
        threshold = _number(bm, key)
        if threshold > max_total:
            raise bm.error(
                f"band {grade!r} starts at {_fmt(threshold)}, above the highest total {_fmt(max_total)}",
                key,
            )
        band = Band(
            grade=grade,
            min=threshold,
            inclusive=key == "min",
            label=_label(bm, "label") if "label" in bm else None,
        )
        if bands:
            prev = bands[-1]
            if band.min > prev.min or (
                band.min == prev.min and (band.inclusive or not prev.inclusive)
            ):
                raise bm.error(
                    f"band {grade!r} must start below band {prev.grade!r}: list bands from the highest",
                    key,
                )
        bands.append(band)
    if not bands:
        raise raw.error("bands must not be empty (leave the key out for no grades)")
    last = bands[-1]
    if not (last.inclusive and last.min == 0):
        raise raw.error(
            f"the lowest band {last.grade!r} must have min: 0 so that every total gets a grade",
            len(raw) - 1,
        )
    return tuple(bands)


# --------------------------------------------------------------------------- helpers


def _keys(
    m: Located,
    *,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    what: str = "here",
) -> None:
    allowed = (*required, *optional)
    for key in m:
        if key not in allowed:
            where = f" in {what}" if what != "here" else ""
            raise m.error(f"unknown key {key!r}{where} (allowed: {', '.join(allowed)})", key)
    for key in required:
        if key not in m:
            raise m.error(f"missing {key!r}")


def _entry(lst: LocatedList, index: int, what: str) -> Located:
    value = lst[index]
    if not isinstance(value, Located):
        raise lst.error(f"{what} must be a mapping", index)
    return value


def _list(m: Located, key: str) -> LocatedList:
    value = m[key]
    if not isinstance(value, LocatedList) or not value:
        raise m.error(f"{key!r} must be a non-empty list", key)
    return value


def _string(m: Located, key: str) -> str:
    value = m[key]
    if not isinstance(value, str) or not value.strip():
        raise m.error(f"{key!r} must be a non-empty string", key)
    return value.strip()


def _id(m: Located, key: str) -> str:
    value = m[key]
    if not isinstance(value, str) or not _ID.match(value):
        raise m.error(f"{key} {value!r} is not a valid id ({_ID_RULE})", key)
    return value


def _choice(m: Located, key: str, options: tuple[str, ...]) -> str:
    value = m[key]
    if value not in options:
        raise m.error(f"{key} must be one of {', '.join(options)}, not {value!r}", key)
    return value


def _label(m: Located, key: str) -> Label:
    value = m[key]
    if not isinstance(value, Located):
        raise m.error(f"{key!r} must be a mapping with zh-CN and en-US texts", key)
    for locale in value:
        if locale not in LOCALES:
            raise value.error(f"unknown locale {locale!r} (expected zh-CN and en-US)", locale)
    for locale in LOCALES:
        if locale not in value:
            raise value.error(f"{key!r} is missing its {locale} text")
        text = value[locale]
        if (
            not isinstance(text, str | int | float)
            or isinstance(text, bool)
            or not str(text).strip()
        ):
            raise value.error(f"{key!r} {locale} text must be a non-empty string", locale)
    return Label(zh_CN=str(value["zh-CN"]).strip(), en_US=str(value["en-US"]).strip())


def _number(m: Located, key: str, *, positive: bool = False) -> Decimal:
    value = m[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise m.error(f"{key} must be a number, not {value!r}", key)
    number = Decimal(str(value))
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise m.error(f"{key} must be a {'positive' if positive else 'non-negative'} number", key)
    return number


def _count(m: Located, key: str) -> int:
    value = m[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise m.error(f"{key} must be a whole number of at least 1, not {value!r}", key)
    return value


def _fmt(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


__all__ = [
    "DEFAULT_RUBRICS_DIR",
    "ITEM_KINDS",
    "Band",
    "Item",
    "Label",
    "Level",
    "PercentRange",
    "Rubric",
    "Section",
    "Weights",
    "load_rubric",
    "load_rubrics",
]
