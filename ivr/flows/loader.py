"""Load ``flows/`` into one validated, immutable :class:`FlowBundle`.

Files: ``hotline.yaml`` (nodes, numbers, voices), ``prompts/<locale>.yaml``,
``hours.yaml``, ``directory.yaml`` and ``mobile_blocks.csv``. Any problem
raises :class:`FlowFileError` naming file, line and reason.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ivr.flows.directory import Directory, parse_directory
from ivr.flows.hours import Schedule, parse_schedule
from ivr.flows.types import ENGINE_PROMPTS, NodeTypes
from ivr.flows.yamlfile import FlowFileError, Located, check_keys, load_mapping, load_yaml

FLOW_FILE = "hotline.yaml"
TARGET = re.compile(r"\+?\d{3,15}|sip:\S+")
# data: a mapping that the domain reading it checks (a flow_data loader, ivr.registry)
FIELD_KINDS = {"node", "prompt", "schedule", "options", "int", "flag", "target", "data"}


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    fields: dict[str, Any] = field(hash=False)

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]


@dataclass(frozen=True)
class Prompt:
    text: str = ""
    play: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Prompts:
    by_locale: dict[str, dict[str, Prompt]]
    voices: dict[str, dict[str, str]]
    variables: dict[str, dict[str, str]]
    audio_base_url: str

    def text(self, locale: str, prompt_id: str, values: dict[str, str] | None = None) -> str:
        prompt = self.by_locale[locale][prompt_id]
        merged = {**self.variables.get(locale, {}), **(values or {})}
        return string.Formatter().vformat(prompt.text, (), _Blank(merged))

    def render(self, locale: str, prompt_id: str, target: Any, values: dict[str, str]) -> None:
        """Append <Say> (or <Play>) for a prompt to a VoiceResponse or Gather."""
        prompt = self.by_locale[locale][prompt_id]
        if prompt.play:
            url = prompt.play
            if not url.startswith(("http://", "https://")):
                url = f"{self.audio_base_url}/{url}"
            target.play(url)
        else:
            target.say(self.text(locale, prompt_id, values), **self.voices[locale])


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class FlowBundle:
    id: str
    start: str
    nodes: dict[str, Node]
    numbers: dict[str, str]
    default_locale: str
    prompts: Prompts
    schedules: dict[str, Schedule]
    directory: Directory
    timezone: ZoneInfo
    source: Path
    node_types: NodeTypes = field(hash=False, compare=False, default_factory=dict)

    def locale_for(self, called: str) -> str:
        return self.numbers.get(called, self.default_locale)


def _mapping(value: Any, where: Located, key: str) -> Located:
    if not isinstance(value, Located):
        raise where.error(f"{key}: expected a mapping", key)
    return value


def _load_prompts(
    directory: Path, locales: list[str], flow: Located
) -> dict[str, dict[str, Prompt]]:
    out: dict[str, dict[str, Prompt]] = {}
    for locale in locales:
        path = directory / "prompts" / f"{locale}.yaml"
        if not path.exists():
            raise flow.error(
                f"locale {locale!r} has no prompt file prompts/{locale}.yaml", "voices"
            )
        data = load_mapping(path, "expected a mapping of prompt id to text")
        prompts = {}
        for prompt_id, value in data.items():
            if isinstance(value, str):
                prompts[str(prompt_id)] = Prompt(text=value, line=data.line_of(prompt_id))
            elif isinstance(value, Located) and set(value) == {"play"}:
                play = str(value["play"])
                if not play.startswith(("http://", "https://")) and (
                    ".." in Path(play).parts or not (directory / "audio" / play).is_file()
                ):
                    raise value.error(
                        f"play: no audio file audio/{play} in the flows folder", "play"
                    )
                prompts[str(prompt_id)] = Prompt(play=play, line=data.line_of(prompt_id))
            else:
                raise data.error(
                    f"prompt {prompt_id!r}: expected text or {{play: file}}", prompt_id
                )
        out[locale] = prompts
    return out


def _check_placeholders(
    prompts: dict[str, dict[str, Prompt]], variables: dict, base: Path, node_types: NodeTypes
) -> None:
    runtime = set().union(*(node_type.placeholders for node_type in node_types.values()))
    for locale, table in prompts.items():
        allowed = runtime | set(variables.get(locale, {}))
        for prompt_id, prompt in table.items():
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(prompt.text) if f}
            except ValueError as exc:
                raise FlowFileError(
                    base / "prompts" / f"{locale}.yaml", None, f"prompt {prompt_id!r}: {exc}"
                ) from None
            unknown = names - allowed
            if unknown:
                raise FlowFileError(
                    base / "prompts" / f"{locale}.yaml",
                    None,
                    f"prompt {prompt_id!r} uses unknown placeholder {{{sorted(unknown)[0]}}}",
                )


def _check_node(
    node_id: str,
    spec: Located,
    ids: set[str],
    prompt_ids: set[str],
    schedules: dict[str, Schedule],
    node_types: NodeTypes,
) -> None:
    kind = spec.get("type")
    if kind not in node_types:
        raise spec.error(
            f"node {node_id!r}: unknown type {kind!r} (known: {', '.join(sorted(node_types))})",
            "type" if "type" in spec else None,
        )
    node_type = node_types[kind]
    allowed = {"type"} | set(node_type.required) | set(node_type.optional)
    for key in spec:
        if key not in allowed:
            raise spec.error(f"node {node_id!r}: unknown field {key!r} for type {kind}", key)
    for key in node_type.required:
        if key not in spec:
            raise spec.error(f"node {node_id!r}: missing field {key!r}")
    for key, field_kind in {**node_type.required, **node_type.optional}.items():
        if key not in spec:
            continue
        value = spec[key]
        if field_kind == "node" and value not in ids:
            raise spec.error(f"node {node_id!r}: {key} names unknown node {value!r}", key)
        if field_kind == "prompt" and value not in prompt_ids:
            raise spec.error(f"node {node_id!r}: {key} names unknown prompt {value!r}", key)
        if field_kind == "schedule" and value not in schedules:
            raise spec.error(f"node {node_id!r}: unknown schedule {value!r} (hours.yaml)", key)
        if field_kind == "int" and (type(value) is not int or not 1 <= value <= 3600):
            raise spec.error(f"node {node_id!r}: {key}: expected a whole number 1-3600", key)
        if field_kind == "flag" and not isinstance(value, bool):
            raise spec.error(f"node {node_id!r}: {key}: expected true or false", key)
        if field_kind == "data" and not isinstance(value, Located):
            raise spec.error(f"node {node_id!r}: {key}: expected a mapping", key)
        if field_kind == "target" and not TARGET.fullmatch(str(value)):
            raise spec.error(f"node {node_id!r}: {key}: expected +number or sip: address", key)
        if field_kind == "options":
            if not isinstance(value, Located) or not value:
                raise spec.error(f"node {node_id!r}: options: expected key: node pairs", key)
            for digit, target in value.items():
                if str(digit) not in set("0123456789#"):
                    raise value.error(f"option {digit!r}: expected one key 0-9 or #", digit)
                if target not in ids:
                    raise value.error(f"option {digit}: unknown node {target!r}", digit)


def _check_walks(nodes: dict[str, Node], raw: Located) -> None:
    """Nodes that pass straight on (say, hours) must reach one that waits for the caller."""
    passing = {"say": ("next",), "hours": ("open", "closed")}

    def walk(node_id: str, path: tuple[str, ...]) -> None:
        node = nodes[node_id]
        if node.type not in passing:
            return
        if node_id in path:
            raise raw.error(f"nodes {' -> '.join([*path, node_id])} loop without input", path[0])
        for key in passing[node.type]:
            walk(node[key], (*path, node_id))

    for node_id in nodes:
        walk(node_id, ())


def load_flows(
    directory: Path | str,
    timezone: ZoneInfo,
    default_locale: str | None = None,
    audio_base_url: str = "",
    *,
    node_types: NodeTypes,
) -> FlowBundle:
    """Load and check the flows folder against the app's node types (``ivr.registry``)."""
    for node_type in node_types.values():
        kinds = set(node_type.required.values()) | set(node_type.optional.values())
        if kinds - FIELD_KINDS:  # a programming error, not a flow-file one
            raise TypeError(
                f"node type {node_type.name}: unknown field kinds {kinds - FIELD_KINDS}"
            )
    base = Path(directory)
    flow_path = base / FLOW_FILE
    if not flow_path.exists():
        raise FlowFileError(flow_path, None, "missing: the flows folder needs hotline.yaml")
    flow = load_mapping(flow_path, "expected a mapping")
    check_keys(
        flow,
        required=("id", "start", "nodes", "voices"),
        optional=("numbers", "variables", "default_locale"),
    )

    voices_raw = _mapping(flow["voices"], flow, "voices")
    voices = {}
    for locale, voice in voices_raw.items():
        voice = _mapping(voice, voices_raw, locale)
        if set(voice) - {"voice", "language"} or "language" not in voice:
            raise voices_raw.error(f"voice for {locale}: expected {{voice, language}}", locale)
        voices[str(locale)] = {str(k): str(v) for k, v in voice.items()}
    locales = list(voices)
    default = default_locale or str(flow.get("default_locale", locales[0]))
    if default not in voices:
        raise flow.error(f"default locale {default!r} has no voice", "default_locale")

    numbers_raw = _mapping(flow.get("numbers", Located()), flow, "numbers")
    for number, locale in numbers_raw.items():
        if locale not in voices:
            raise numbers_raw.error(f"number {number}: unknown locale {locale!r}", number)
    variables_raw = _mapping(flow.get("variables", Located()), flow, "variables")
    variables = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in variables_raw.items()}

    prompts = _load_prompts(base, locales, flow)
    _check_placeholders(prompts, variables, base, node_types)
    reference = prompts[default]
    for locale, table in prompts.items():
        path = base / "prompts" / f"{locale}.yaml"
        for prompt_id in sorted(set(reference) - set(table)):
            raise FlowFileError(path, None, f"prompt {prompt_id!r} is missing (it is in {default})")
        for prompt_id in sorted(set(table) - set(reference)):
            line = table[prompt_id].line
            raise FlowFileError(path, line, f"prompt {prompt_id!r} is not in {default}")
    for prompt_id in ENGINE_PROMPTS:
        if prompt_id not in reference:
            raise FlowFileError(
                base / "prompts" / f"{default}.yaml",
                None,
                f"prompt {prompt_id!r} is required by the node types",
            )

    hours_path = base / "hours.yaml"
    hours = Located()
    if hours_path.exists():
        hours = load_mapping(hours_path, "expected a mapping of schedule name to schedule")
    schedules = {str(name): parse_schedule(str(name), spec, hours) for name, spec in hours.items()}

    directory = parse_directory(
        load_yaml(base / "directory.yaml"),
        base / "directory.yaml",
        base / "mobile_blocks.csv",
        [str(number) for number in numbers_raw],
    )

    nodes_raw = _mapping(flow["nodes"], flow, "nodes")
    ids = {str(k) for k in nodes_raw}
    for node_id, spec in nodes_raw.items():
        _check_node(
            str(node_id),
            _mapping(spec, nodes_raw, node_id),
            ids,
            set(reference),
            schedules,
            node_types,
        )
    nodes = {
        str(node_id): Node(
            str(node_id), spec["type"], {k: v for k, v in spec.items() if k != "type"}
        )
        for node_id, spec in nodes_raw.items()
    }
    if flow["start"] not in nodes:
        raise flow.error(f"start names unknown node {flow['start']!r}", "start")
    _check_walks(nodes, nodes_raw)

    return FlowBundle(
        id=str(flow["id"]),
        start=str(flow["start"]),
        nodes=nodes,
        numbers={str(k): str(v) for k, v in numbers_raw.items()},
        default_locale=default,
        prompts=Prompts(prompts, voices, variables, audio_base_url.rstrip("/")),
        schedules=schedules,
        directory=directory,
        timezone=timezone,
        source=base,
        node_types=dict(node_types),
    )
