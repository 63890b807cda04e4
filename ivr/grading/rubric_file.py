"""Reading rubric files, ``flows/rubrics/*.yaml``, into :mod:`ivr.grading.rubric` classes.

Every problem in a file is raised as :class:`~ivr.flows.yamlfile.FlowFileError`
whose ``str()`` reads ``file:line: reason``. Levels and grade bands are read by
:mod:`ivr.grading.rubric_ranges`.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from pathlib import Path

from ivr.flows.yamlfile import (
    FlowFileError,
    Located,
    check_keys,
    identifier,
    load_mapping,
    mapping_at,
    non_empty_list,
    number,
    one_of,
    text,
)
from ivr.grading.phrases_file import DEFAULT_PHRASES_PATH, PHRASES_FILE, load_phrases
from ivr.grading.rubric import ITEM_KINDS, MODES, SOURCES, Item, Level, Rubric, Section, Weights
from ivr.grading.rubric_ranges import ID, ID_RULE, fmt, parse_bands, parse_levels, read_label

RUBRICS_DIR = "rubrics"
DEFAULT_RUBRICS_DIR = DEFAULT_PHRASES_PATH.parent / RUBRICS_DIR


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
    known = _check_names(directory, checks)
    rubrics: dict[str, Rubric] = {}
    first_seen: dict[str, str] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        doc = load_mapping(path, "a rubric file must be a mapping")
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
    doc = load_mapping(path, "a rubric file must be a mapping")
    return _parse_rubric(doc, path, _check_names(path.parent, checks))


def _check_names(directory: Path, names: Collection[str] | None) -> frozenset[str]:
    """The valid ``detect:`` names: ``names``, or those of the phrase file beside ``directory``."""
    if names is None:
        names = load_phrases(directory.resolve().parent / PHRASES_FILE).checks
    return frozenset(names)


def _parse_rubric(doc: Located, path: Path, checks: frozenset[str]) -> Rubric:
    check_keys(doc, required=("id", "label", "base", "sections"), optional=("reference", "bands"))
    rubric_id = identifier(doc, "id", ID, ID_RULE)
    label = read_label(doc, "label")
    base = number(doc, "base", positive=True)
    reference = text(doc, "reference") if "reference" in doc else None

    raw_sections = non_empty_list(doc, "sections")
    sections: list[Section] = []
    items: dict[str, Item] = {}
    item_lines: dict[str, int] = {}
    section_lines: dict[str, int] = {}
    for index in range(len(raw_sections)):
        section_map = mapping_at(raw_sections, index, "a section must be a mapping")
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
            f"sections scored by deduction add up to {fmt(deducted)} points, but base is {fmt(base)}",
            "base",
        )
    max_total = base + sum((s.points for s in sections if s.bonus), Decimal(0))
    bands = parse_bands(doc, max_total) if "bands" in doc else ()
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
    m: Located, checks: frozenset[str], items: dict[str, Item], item_lines: dict[str, int]
) -> Section:
    check_keys(m, required=_SECTION_KEYS, optional=_SECTION_OPTIONAL)
    section_id = identifier(m, "id", ID, ID_RULE)
    label = read_label(m, "label")
    points = number(m, "points", positive=True)
    source = one_of(m, "source", SOURCES)
    mode = one_of(m, "mode", MODES) if "mode" in m else "deduct"
    note = read_label(m, "note") if "note" in m else None

    weights = calls = formula = None
    if source == "weighted":
        if mode != "deduct":
            raise m.error("a weighted section must use mode: deduct", "mode")
        for key in ("weights", "calls_per_inspector"):
            if key not in m:
                raise m.error(f"a weighted section needs {key!r}")
        weights = _parse_weights(m)
        calls = _count(m, "calls_per_inspector")
        formula = text(m, "formula") if "formula" in m else None
    else:
        for key in ("weights", "calls_per_inspector", "formula"):
            if key in m:
                raise m.error(f"{key!r} is only for source: weighted", key)

    raw_items = non_empty_list(m, "items")
    parsed: list[Item] = []
    for index in range(len(raw_items)):
        item_map = mapping_at(raw_items, index, "an item must be a mapping")
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
            f"items' points add up to {fmt(capped)}, more than the section's {fmt(points)}",
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
    check_keys(w, required=("team_leader", "recordings"))
    team_leader = number(w, "team_leader")
    recordings = number(w, "recordings")
    for key, value in (("team_leader", team_leader), ("recordings", recordings)):
        if value > 1:
            raise w.error(f"weight {key} is {fmt(value)}; weights are fractions of 1", key)
    if team_leader + recordings != 1:
        raise w.error(f"weights add up to {fmt(team_leader + recordings)}; they must add up to 1")
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
    m: Located, section_id: str, section_points: Decimal, mode: str, checks: frozenset[str]
) -> Item:
    if "kind" not in m:
        raise m.error("missing 'kind' (one of: " + ", ".join(ITEM_KINDS) + ")")
    kind = one_of(m, "kind", ITEM_KINDS)
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
    check_keys(
        m,
        required=("id", "kind", "label", *required),
        optional=(*optional, "group", "note"),
        what=f"a {kind} item",
    )

    item_id = identifier(m, "id", ID, ID_RULE)
    label = read_label(m, "label")
    group = read_label(m, "group") if "group" in m else None
    note = read_label(m, "note") if "note" in m else None
    amount = number(m, amount_key, positive=True) if amount_key in m else None
    points = number(m, "points", positive=True) if "points" in m else None
    max_times = _count(m, "max_times") if "max_times" in m else 1
    detect = None
    if "detect" in m:
        detect = text(m, "detect")
        if detect not in checks:
            raise m.error(
                f"unknown detect name {detect!r} (known: {', '.join(sorted(checks))})", "detect"
            )

    levels: tuple[Level, ...] = ()
    if kind == "choice":
        assert points is not None
        levels = parse_levels(m, points)

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
            f"{what} of {item_id!r} would {amount_key} {fmt(amount)}, more than the "
            f"section's {fmt(section_points)} points",
            amount_key,
        )
    return item


def _count(m: Located, key: str) -> int:
    value = m[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise m.error(f"{key} must be a whole number of at least 1, not {value!r}", key)
    return value


__all__ = ["DEFAULT_RUBRICS_DIR", "load_rubric", "load_rubrics"]
