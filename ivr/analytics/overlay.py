"""The drawing with a period's traffic on it, ready to put inline in a page.

The cached SVG from ``dot`` is parsed (it is our own dot's output) and
annotated: every node group gets ``data-node`` (its flow id) and the calls
that entered it above its box; every edge its count and share in its label,
a width by count, and ``data-count``. Texts go in through ElementTree, which
escapes them, and the result is serialised again: nothing in it is markup
written by hand.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - parses our own dot's output
from typing import Any

from ivr.analytics import drawing
from ivr.analytics.traffic import Traffic
from ivr.flows.loader import FlowBundle

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)
MAX_WIDTH = 8.0  # the busiest edge's stroke width; an unused one is 1


def _tag(name: str) -> str:
    return f"{{{SVG}}}{name}"


def annotate(svg: str, bundle: FlowBundle, traffic: Traffic | None) -> str:
    """``svg`` (the flow's drawing) with ``data-node``, and with ``traffic`` if given."""
    root = ET.fromstring(svg)  # noqa: S314 - our own dot's output
    for attribute in ("width", "height"):  # the page sizes it; the viewBox keeps the shape
        root.attrib.pop(attribute, None)
    root.set("class", "flow-drawing")
    root.set("role", "img")
    ids = {dot_id[1:]: node_id for node_id, dot_id in drawing.node_ids(bundle).items()}
    edges = _edges(bundle)
    counts = {
        edge_id: _edge_count(bundle, traffic, edge) if traffic else 0
        for edge_id, edge in edges.items()
    }
    busiest = max(counts.values(), default=0)
    for group in root.iter(_tag("g")):
        group_id = group.get("id", "")
        kind = group.get("class", "")
        if kind == "node" and group_id.startswith("node-"):
            node_id = ids.get(group_id.removeprefix("node-"))
            if node_id is None:
                continue
            group.set("data-node", node_id)
            group.set("tabindex", "0")
            group.set("class", "node flow-node")
            if traffic is not None:
                _badge(group, traffic.entered.get(node_id, 0))
        elif kind == "edge" and group_id in edges:
            edge = edges[group_id]
            group.set("data-from", edge.source)
            group.set("data-to", edge.target)
            if traffic is None:
                continue
            count = counts[group_id]
            group.set("data-count", str(count))
            width = 1 + (MAX_WIDTH - 1) * count / busiest if busiest else 1
            for shape in (*group.iter(_tag("path")), *group.iter(_tag("polygon"))):
                shape.set("stroke-width", f"{width:.1f}")
            share = _share(bundle, traffic, edge, count)
            for text in group.iter(_tag("text")):
                text.text = f"{text.text or ''} · {count}{share}"
                break
    return ET.tostring(root, encoding="unicode")


def _edges(bundle: FlowBundle) -> dict[str, drawing.Edge]:
    ids = drawing.node_ids(bundle)
    return {
        drawing.edge_id(ids[node.id][1:], edge.key): edge
        for node in bundle.nodes.values()
        for edge in drawing.edges(bundle, node)
    }


def _edge_count(bundle: FlowBundle, traffic: Traffic, edge: drawing.Edge) -> int:
    if bundle.nodes[edge.source].type == "say":  # passes straight on: every caller
        return traffic.entered.get(edge.source, 0)
    return traffic.edge_count(edge.source, edge.key, edge.target)


def _share(bundle: FlowBundle, traffic: Traffic, edge: drawing.Edge, count: int) -> str:
    if not edge.key.startswith("option:"):
        return ""
    taken = sum(o.count for o in traffic.options_at(edge.source))
    return f" ({count / taken:.0%})" if taken else ""


def _badge(group: Any, entered: int) -> None:
    """The calls that entered the node, just above its box's right corner."""
    points = [
        tuple(float(v) for v in pair.split(","))
        for shape in group.iter(_tag("polygon"))
        for pair in shape.get("points", "").split()
    ]
    if not points:
        return
    x = max(p[0] for p in points)
    y = min(p[1] for p in points)
    badge = ET.SubElement(group, _tag("text"))
    badge.set("class", "entered")
    badge.set("x", f"{x:.1f}")
    badge.set("y", f"{y - 2:.1f}")
    badge.set("text-anchor", "end")
    badge.set("font-size", "9")
    badge.text = f"{entered} 通 calls"
