"""YAML loading that remembers where every value came from.

Flow files are edited by hand; a bad one must be reported with file, line and
reason. PyYAML's composed nodes carry marks, so mappings are built as
:class:`Located` dicts that know the line of each key. The checks at the
end (keys, texts per locale, ids, numbers...) are shared by every loader of
such files: flows, fax catalogue, rubrics and phrases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml


class FlowFileError(ValueError):
    """A flow file is invalid; ``str()`` reads ``file:line: reason``."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class Located(dict):
    """A mapping from a YAML file that knows its file and the line of each key."""

    path: str = ""
    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def error(self, reason: str, key: Any = None) -> FlowFileError:
        return FlowFileError(self.path, self.line_of(key) if key is not None else self.line, reason)


class LocatedList(list):
    path: str = ""
    line: int = 0
    item_lines: list[int]

    def error(self, reason: str, index: int | None = None) -> FlowFileError:
        line = self.item_lines[index] if index is not None else self.line
        return FlowFileError(self.path, line, reason)


def _loader(path: str) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Located:
        loader.flatten_mapping(node)
        result = Located()
        result.path, result.line, result.key_lines = path, node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in result:
                raise FlowFileError(path, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LocatedList:
        result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
        result.path, result.line = path, node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return Loader


def load_yaml(path: Path | str) -> Any:
    """Load one YAML file; syntax errors become :class:`FlowFileError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowFileError(path, None, f"cannot read: {exc}") from exc
    try:
        return yaml.load(text, Loader=_loader(str(path)))  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise FlowFileError(path, line, f"invalid YAML: {exc.problem or exc}") from exc


# --------------------------------------------------------------------------- checks
# Shared by every loader of hand-edited data files (flows, fax, rubrics, phrases).
# Each raises FlowFileError at the line of the offending key or list entry.


def load_mapping(path: Path | str, reason: str) -> Located:
    """Load a YAML file whose top level must be a mapping; ``reason`` says what is expected."""
    doc = load_yaml(path)
    if not isinstance(doc, Located):
        raise FlowFileError(path, 1, reason)
    return doc


def check_keys(
    m: Located, required: tuple[str, ...] = (), optional: tuple[str, ...] = (), what: str = ""
) -> None:
    """Refuse keys neither required nor optional, then missing required ones."""
    allowed = (*required, *optional)
    for key in m:
        if key not in allowed:
            where = f" in {what}" if what else ""
            raise m.error(f"unknown key {key!r}{where} (allowed: {', '.join(allowed)})", key)
    for key in required:
        if key not in m:
            raise m.error(f"missing {key!r}")


def mapping_at(lst: LocatedList, index: int, reason: str) -> Located:
    """Entry ``index`` of a list, which must be a mapping."""
    value = lst[index]
    if not isinstance(value, Located):
        raise lst.error(reason, index)
    return value


def non_empty_list(m: Located, key: str) -> LocatedList:
    value = m[key]
    if not isinstance(value, LocatedList) or not value:
        raise m.error(f"{key!r} must be a non-empty list", key)
    return value


def text(m: Located, key: str) -> str:
    """A non-empty string, stripped."""
    value = m[key]
    if not isinstance(value, str) or not value.strip():
        raise m.error(f"{key!r} must be a non-empty string", key)
    return value.strip()


def identifier(m: Located, key: str, pattern: re.Pattern[str], rule: str) -> str:
    """A string matching ``pattern``; ``rule`` says in words what that allows."""
    value = m[key]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise m.error(f"{key} {value!r} is not a valid id ({rule})", key)
    return value


def number(m: Located, key: str, *, positive: bool = False) -> Decimal:
    """A non-negative (``positive``: above 0) finite number, as a Decimal."""
    value = m[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise m.error(f"{key} must be a number, not {value!r}", key)
    result = Decimal(str(value))
    if not result.is_finite() or result < 0 or (positive and result == 0):
        raise m.error(f"{key} must be a {'positive' if positive else 'non-negative'} number", key)
    return result


def one_of(m: Located, key: str, options: tuple[str, ...]) -> str:
    value = m[key]
    if value not in options:
        raise m.error(f"{key} must be one of {', '.join(options)}, not {value!r}", key)
    return value


def locale_texts(
    m: Located, key: str, locales: Sequence[str], what: str | None = None
) -> dict[str, str]:
    """``m[key]``: one non-empty text per locale, no other locale; ``what`` names it."""
    what = what or repr(key)
    value = m.get(key)
    if not isinstance(value, Located):
        raise m.error(
            f"{what} must be a mapping with a text per locale ({', '.join(locales)})", key
        )
    for locale in value:
        if locale not in locales:
            raise value.error(
                f"{what}: unknown locale {locale!r} (expected {', '.join(locales)})", locale
            )
    texts = {}
    for locale in locales:
        if locale not in value:
            raise value.error(f"{what} has no text for locale {locale}")
        item = value[locale]
        if (
            not isinstance(item, str | int | float)
            or isinstance(item, bool)
            or not str(item).strip()
        ):
            raise value.error(f"{what} has no text for locale {locale}", locale)
        texts[locale] = str(item).strip()
    return texts
