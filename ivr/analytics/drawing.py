"""The running flow drawn as a graph: DOT written from the flow bundle, laid out by Graphviz.

Every node is a box with its id, type and main prompt (in the chosen locale);
options are edges labelled with their key, hours branches ``open``/``closed``,
other node fields (next, after, on_fail, overflow) edges named by the field;
numbers and queues a node puts callers through to are notes beside it. Every
text is escaped for DOT (HTML-like labels, so prompt text cannot end a
string or inject attributes) and dot escapes it again for SVG.

``dot -Tsvg`` runs as a subprocess (never through a shell) with a timeout; its
SVG is cached per flows version (a hash of what was loaded) and locale, in
memory per process: the flows cannot change without a restart.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import string
import subprocess  # noqa: S404 - dot runs with a fixed argument list, no shell
import threading
from dataclasses import dataclass
from typing import Any

from ivr.flows.loader import FlowBundle, Node

DOT_TIMEOUT = 20  # seconds: the flows have tens of nodes, dot lays them out in well under one
PROMPT_CHARS = 70  # of a prompt shown in a node's box (the side panel shows it whole)
LINE_CHARS = 22
INSTALL = "Graphviz (Debian: apt-get install graphviz)"
# Branches named by their field; the others are named by the field itself.
BRANCH_LABELS = {"open": "open 上班", "closed": "closed 下班", "on_fail": "on fail 失败"}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class DotUnavailable(RuntimeError):
    """dot is not installed (or failed): the page says what to install."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    key: str  # "option:<digit>" or the field name: what traffic is matched to


@dataclass(frozen=True)
class Note:
    id: str
    node: str
    label: str
    lines: tuple[str, ...]


def version(bundle: FlowBundle) -> str:
    """What was loaded from flows/, hashed: a new drawing for each change."""
    data = {
        "start": bundle.start,
        "nodes": {n.id: [n.type, _plain(n.fields)] for n in bundle.nodes.values()},
        "prompts": {
            locale: {k: [p.text, p.play] for k, p in table.items()}
            for locale, table in bundle.prompts.by_locale.items()
        },
        "variables": bundle.prompts.variables,
        "centres": {
            c.code: [c.names, c.number, c.agents]
            for c in (bundle.directory.provincial, *bundle.directory.centres.values())
        },
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if isinstance(value, (str, int, bool)) else str(value)


class _Keep(dict):
    """Placeholders filled at run time ({centre}, {position}) stay visible as such."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def prompt_text(bundle: FlowBundle, locale: str, prompt_id: str) -> str:
    """A prompt as written for ``locale``, the flow's variables filled in."""
    prompt = bundle.prompts.by_locale[locale].get(prompt_id)
    if prompt is None:
        return ""
    if prompt.play:
        return f"♪ {prompt.play}"
    variables = _Keep(bundle.prompts.variables.get(locale, {}))
    try:
        return string.Formatter().vformat(prompt.text, (), variables)
    except (ValueError, IndexError, KeyError):
        return prompt.text


def field_kinds(bundle: FlowBundle, node: Node) -> dict[str, str]:
    node_type = bundle.node_types[node.type]
    return {**node_type.required, **node_type.optional}


def main_prompt(bundle: FlowBundle, node: Node) -> str:
    kinds = field_kinds(bundle, node)
    names = [name for name, kind in kinds.items() if kind == "prompt" and name in node.fields]
    if "prompt" in names:
        return node["prompt"]
    return node[names[0]] if names else ""


def edges(bundle: FlowBundle, node: Node) -> list[Edge]:
    """Where a caller can go from ``node``: its options by key, then its node fields."""
    out = []
    for name, kind in field_kinds(bundle, node).items():
        if name not in node.fields:
            continue
        if kind == "options":
            for digit, target in node[name].items():
                out.append(Edge(node.id, str(target), str(digit), f"option:{digit}"))
        elif kind == "node":
            label = BRANCH_LABELS.get(name, name)
            if node.type == "topic" and name == "next":
                label = "2 next"
            out.append(Edge(node.id, str(node[name]), label, name))
    if node.type == "topic":
        out.append(Edge(node.id, node.id, "1 repeat", "option:1"))
    return out


def notes(bundle: FlowBundle, node: Node, locale: str) -> list[Note]:
    """Numbers and queues outside the flow that ``node`` puts callers through to."""
    directory = bundle.directory
    centres = [directory.provincial, *directory.centres.values()]
    out = []
    for name, kind in field_kinds(bundle, node).items():
        if kind == "target" and name in node.fields:
            out.append(Note(f"{node.id}:{name}", node.id, name, (str(node[name]),)))
    if node.type == "area_code":
        lines = tuple(
            f"{c.code} {c.name(locale)} → {c.number}"
            for c in directory.centres.values()
            if c.number
        )
        out.append(Note(f"{node.id}:centres", node.id, "dial by area code", lines))
    elif node.type == "agent":
        lines = tuple(
            f"{c.name(locale)} → "
            + " ".join(f"{kind} {target}" for kind, target in c.agents.items())
            for c in centres
        )
        out.append(Note(f"{node.id}:queues", node.id, "caller's centre", lines))
    return out


# --- DOT ------------------------------------------------------------------------------------
def _text(value: str) -> str:
    """Text for an HTML-like label: control characters dropped, markup escaped, and
    backslashes doubled (dot reads ``\\N``, ``\\G`` in labels as the node's, graph's name)."""
    return html.escape(CONTROL.sub("", value), quote=True).replace("\\", "\\\\")


def _quoted(value: str) -> str:
    """A DOT double-quoted string (ids, attribute values)."""
    value = CONTROL.sub("", value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


def _wrap(text: str, width: int = LINE_CHARS) -> list[str]:
    text = " ".join(text.split())
    if len(text) > PROMPT_CHARS:
        text = text[: PROMPT_CHARS - 1] + "…"
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def dot_source(bundle: FlowBundle, locale: str) -> str:
    """The flow as a DOT digraph; node and note ids are ``node-<n>``/``note-<n>`` in the SVG
    (``node_ids`` maps them back)."""
    ids = node_ids(bundle)
    lines = [
        "digraph flow {",
        '  graph [rankdir=TB, nodesep=0.3, ranksep=0.45, fontname="WenQuanYi Zen Hei"];',
        '  node [shape=box, fontname="WenQuanYi Zen Hei", fontsize=10, margin="0.12,0.06"];',
        '  edge [fontname="WenQuanYi Zen Hei", fontsize=9];',
    ]
    for node in bundle.nodes.values():
        dot_id = ids[node.id]
        prompt = prompt_text(bundle, locale, main_prompt(bundle, node))
        rows = [f"<B>{_text(node.id)}</B>", f"<I>{_text(node.type)}</I>"]
        rows += [_text(line) for line in _wrap(prompt)] if prompt else []
        label = "<" + "<BR/>".join(rows) + ">"
        start = ", penwidth=2" if node.id == bundle.start else ""
        lines.append(
            f"  {dot_id} [id={_quoted('node-' + dot_id[1:])}, label={label}, "
            f"tooltip={_quoted(node.id)}{start}];"
        )
    for node in bundle.nodes.values():
        for edge in edges(bundle, node):
            if edge.target not in ids:
                continue
            lines.append(
                f"  {ids[edge.source]} -> {ids[edge.target]} "
                f"[id={_quoted(edge_id(ids[node.id][1:], edge.key))}, "
                f"label={_quoted(edge.label)}];"
            )
        for index, note in enumerate(notes(bundle, node, locale)):
            note_id = f"{ids[node.id]}t{index}"
            rows = [f"<I>{_text(note.label)}</I>", *(_text(line) for line in note.lines)]
            label = "<" + '<BR ALIGN="LEFT"/>'.join(rows) + '<BR ALIGN="LEFT"/>>'
            lines.append(
                f"  {note_id} [id={_quoted('note-' + note_id[1:])}, shape=note, "
                f"fontsize=8, color=gray40, label={label}];"
            )
            lines.append(f"  {ids[node.id]} -> {note_id} [style=dashed, color=gray40];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", lambda m: f"_{ord(m.group()):x}", key)


def edge_id(node_index: str, key: str) -> str:
    return f"edge-{node_index}-{_slug(key)}"


def node_ids(bundle: FlowBundle) -> dict[str, str]:
    """Flow node id -> DOT id (``n0``, ``n1``…): flow ids never reach DOT as identifiers."""
    return {node_id: f"n{index}" for index, node_id in enumerate(bundle.nodes)}


# --- running dot ----------------------------------------------------------------------------
def run_dot(source: str) -> str:
    """``dot -Tsvg`` on ``source``: the SVG, or DotUnavailable saying what is wrong."""
    program = shutil.which("dot")
    if program is None:
        raise DotUnavailable(f"dot is not installed: install {INSTALL}")
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [program, "-Tsvg"],
            input=source.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DotUnavailable(f"dot took longer than {DOT_TIMEOUT} s") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()[:300]
        raise DotUnavailable(f"dot failed: {message}")
    return done.stdout.decode()


class Drawings:
    """SVG drawings by (flows version, locale), made once per process."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def svg(self, bundle: FlowBundle, locale: str) -> str:
        key = (version(bundle), locale)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = run_dot(dot_source(bundle, locale))
            return self._cache[key]
