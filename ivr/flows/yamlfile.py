"""YAML loading that remembers where every value came from.

Flow files are edited by hand; a bad one must be reported with file, line and
reason. PyYAML's composed nodes carry marks, so mappings are built as
:class:`Located` dicts that know the line of each key.
"""

from __future__ import annotations

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
