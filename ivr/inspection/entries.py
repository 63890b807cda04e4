"""Rubric form fields <-> item entries (the values ivr.grading.scoring takes).

Each item is one form field named ``i-<item id>``:

=========  ==========================================  ======================
kind       field                                       entry stored
=========  ==========================================  ======================
choice     a level id (radio)                          the level id
check      checkbox "1" (max_times 1) or 0..max_times  ``True``/``False`` or n
count      a whole number >= 0 (blank = 0)             n
score      points awarded 0..points (blank = full)     the number as a string
=========  ==========================================  ======================

Every item of the given sections is stored, so a saved grade says exactly what
was entered, including "nothing deducted".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ivr.grading import Item, Section

MAX_COUNT = 99  # occurrences in one month; more is a typing slip

Entry = bool | int | str


def field_name(item: Item) -> str:
    return f"i-{item.id}"


def default_entry(item: Item) -> Entry:
    """What "nothing noted" means for ``item``."""
    if item.kind == "choice":
        level = item.zero_level
        return level.id if level else ""
    if item.kind == "check":
        return False if item.max_times == 1 else 0
    if item.kind == "count":
        return 0
    return _plain(item.points or Decimal(0))


def defaults(sections: Iterable[Section]) -> dict[str, Entry]:
    return {item.id: default_entry(item) for section in sections for item in section.items}


def parse(
    sections: Iterable[Section], form: Mapping[str, Any]
) -> tuple[dict[str, Entry], dict[str, str]]:
    """Entries for every item of ``sections`` from form data, and errors by item id."""
    entries: dict[str, Entry] = {}
    errors: dict[str, str] = {}
    for section in sections:
        for item in section.items:
            raw = form.get(field_name(item))
            raw = raw.strip() if isinstance(raw, str) else raw
            try:
                entries[item.id] = _parse_item(item, raw)
            except ValueError as exc:
                errors[item.id] = str(exc)
    return entries, errors


def _parse_item(item: Item, raw: Any) -> Entry:
    if item.kind == "choice":
        if raw in (None, ""):
            if item.zero_level is None:
                raise ValueError("请选择 Choose a level")
            return item.zero_level.id
        if raw not in {level.id for level in item.levels}:
            raise ValueError("未知等级 Unknown level")
        return str(raw)
    if item.kind == "check" and item.max_times == 1:
        if raw in (None, "", "0"):
            return False
        if raw in ("1", "on", "true"):
            return True
        raise ValueError("请勾选或不勾选 Tick or untick")
    if item.kind in ("check", "count"):
        limit = item.max_times if item.kind == "check" else MAX_COUNT
        if raw in (None, ""):
            return 0
        if not str(raw).isdigit() or int(raw) > limit:
            raise ValueError(f"填写 0–{limit} 的整数 Enter a whole number 0–{limit}")
        return int(raw)
    # score: points awarded
    points = item.points or Decimal(0)
    if raw in (None, ""):
        return _plain(points)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal(-1)
    if (
        not value.is_finite() or not Decimal(0) <= value <= points or value.as_tuple().exponent < -2  # type: ignore[operator]
    ):
        raise ValueError(f"填写 0–{_plain(points)} 分 Enter 0–{_plain(points)} points")
    return _plain(value)


def field_value(item: Item, entry: Any) -> str:
    """The form field's value for a stored entry (for checkboxes: "1" when ticked)."""
    if item.kind == "check" and item.max_times == 1:
        return "1" if entry is True or entry == 1 else ""
    if entry is None:
        entry = default_entry(item)
    if isinstance(entry, bool):
        return str(int(entry))
    return str(entry)


def _plain(value: Decimal) -> str:
    """``Decimal("4.50")`` -> ``"4.5"``, ``Decimal("5")`` -> ``"5"``."""
    text = format(value.normalize(), "f")
    return text
