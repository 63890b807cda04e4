"""Reading the ranges in a rubric file: choice levels (with percent ranges) and grade bands.

Part of :mod:`ivr.grading.rubric_file`; problems raise
:class:`~ivr.flows.yamlfile.FlowFileError` at the offending line.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ivr.flows.yamlfile import (
    Located,
    check_keys,
    identifier,
    locale_texts,
    mapping_at,
    non_empty_list,
    number,
    text,
)
from ivr.grading.rubric import LOCALES, Band, Label, Level, PercentRange

ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
ID_RULE = "lower-case ascii letters, digits, '_' or '-'"


def fmt(value: Decimal) -> str:
    """A number as written in a rubric file: ``35``, ``0.5``."""
    return format(value.normalize(), "f")


def read_label(m: Located, key: str) -> Label:
    return Label.of(locale_texts(m, key, LOCALES))


def parse_levels(m: Located, points: Decimal) -> tuple[Level, ...]:
    raw = non_empty_list(m, "levels")
    if len(raw) < 2:
        raise raw.error("a choice item needs at least two levels")
    levels: list[Level] = []
    seen: set[str] = set()
    for index in range(len(raw)):
        lm = mapping_at(raw, index, "a level must be a mapping")
        check_keys(lm, required=("id", "label", "deduct"), optional=("percent",), what="a level")
        level_id = identifier(lm, "id", ID, ID_RULE)
        if level_id in seen:
            raise lm.error(f"duplicate level id {level_id!r}", "id")
        seen.add(level_id)
        deduct = number(lm, "deduct")
        if deduct > points:
            raise lm.error(
                f"level {level_id!r} deducts {fmt(deduct)}, more than the item's {fmt(points)} points",
                "deduct",
            )
        percent = _percent_range(lm) if "percent" in lm else None
        levels.append(
            Level(id=level_id, label=read_label(lm, "label"), deduct=deduct, percent=percent)
        )

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


def _percent_range(lm: Located) -> PercentRange:
    p = lm["percent"]
    if not isinstance(p, Located):
        raise lm.error("percent must be a mapping such as {above: 80, max: 85}", "percent")
    check_keys(p, optional=("above", "min", "below", "max"), what="a percent range")
    if "above" in p and "min" in p:
        raise p.error("use either 'above' or 'min', not both", "min")
    if "below" in p and "max" in p:
        raise p.error("use either 'below' or 'max', not both", "max")
    if not p:
        raise p.error("a percent range needs a bound (above/min, below/max)")
    low_key = "above" if "above" in p else "min" if "min" in p else None
    high_key = "below" if "below" in p else "max" if "max" in p else None
    low = number(p, low_key) if low_key else None
    high = number(p, high_key) if high_key else None
    for key, value in ((low_key, low), (high_key, high)):
        if value is not None and value > 100:
            raise p.error(f"{key} {fmt(value)} is more than 100%", key)
    if (
        low is not None
        and high is not None
        and (low > high or (low == high and (low_key == "above" or high_key == "below")))
    ):
        raise p.error("the range is empty")
    return PercentRange(low, low_key == "min", high, high_key == "max")


def parse_bands(doc: Located, max_total: Decimal) -> tuple[Band, ...]:
    raw = non_empty_list(doc, "bands")
    bands: list[Band] = []
    grades: set[str] = set()
    for index in range(len(raw)):
        bm = mapping_at(raw, index, "a band must be a mapping")
        check_keys(bm, required=("grade",), optional=("above", "min", "label"), what="a band")
        grade = text(bm, "grade")
        if grade in grades:
            raise bm.error(f"duplicate grade {grade!r}", "grade")
        grades.add(grade)
        if ("above" in bm) == ("min" in bm):
            raise bm.error("a band needs exactly one of 'above' (exclusive) or 'min' (inclusive)")
        key = "above" if "above" in bm else "min"
        threshold = number(bm, key)
        if threshold > max_total:
            raise bm.error(
                f"band {grade!r} starts at {fmt(threshold)}, above the highest total {fmt(max_total)}",
                key,
            )
        band = Band(
            grade=grade,
            min=threshold,
            inclusive=key == "min",
            label=read_label(bm, "label") if "label" in bm else None,
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
