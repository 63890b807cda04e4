"""The flow drawn by Graphviz: every node and edge of the real flows, texts escaped."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ivr.analytics import drawing, overlay
from ivr.flows import load_flows
from ivr.registry import registry
from tests.harness import CENTRE_TZ, ROOT

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(element: ET.Element) -> str:
    return " ".join(t.text or "" for t in element.iter(f"{SVG}text"))


def groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if kind in g.get("class", "").split()]


@pytest.fixture
def bundle(app):
    return app.extensions["ivr.flows"]


def test_every_node_and_edge_of_the_real_flows_is_drawn(bundle):
    root = parse(overlay.annotate(drawing.Drawings().svg(bundle, "zh-CN"), bundle, None))

    nodes = {g.get("data-node"): g for g in groups(root, "flow-node")}
    assert set(nodes) == set(bundle.nodes)
    for node_id, node in bundle.nodes.items():
        shown = texts(nodes[node_id])
        assert node_id in shown and node.type in shown
    assert "语音服务请按1" in texts(nodes["main_menu"])  # the prompt, in the chosen locale
    assert "吉林省12333" in texts(nodes["welcome"])  # its variables filled in

    edges = {
        (g.get("data-from"), g.get("data-to"), texts(g).strip())
        for g in groups(root, "edge")
        if g.get("data-from")
    }
    expected = {
        ("main_menu", "info_menu", "1"),
        ("main_menu", "agent", "0"),
        ("main_menu", "other_region", "9"),
        ("reduced_menu", "account", "4"),
        ("hours_check", "main_menu", "open 上班"),
        ("hours_check", "closed_notice", "closed 下班"),
        ("menu_root", "reduced_menu", "closed 下班"),
        ("welcome", "hours_check", "next"),
        ("topic_pension", "continue", "2 next"),
        ("topic_pension", "topic_pension", "1 repeat"),
        ("other_region", "menu_root", "on fail 失败"),
        ("agent", "agent_overflow", "overflow"),
        ("continue", "goodbye", "2"),
    }
    assert expected <= edges
    every_option = {
        (node.id, target, digit)
        for node in bundle.nodes.values()
        if node.type == "menu"
        for digit, target in node["options"].items()
    }
    assert every_option <= edges

    # transfer and queue targets beside their nodes
    everything = texts(root)
    assert "+8643112300" in everything  # the complaint desk
    assert "enqueue changchun" in everything and "enqueue provincial" in everything
    assert "0432 吉林市 → +8643262012333" in everything  # option 9's centres


def test_the_drawing_speaks_the_chosen_locale(bundle):
    root = parse(drawing.Drawings().svg(bundle, "en-US"))
    assert "Jilin Province" in texts(root)
    assert "语音服务请按1" not in texts(root)


@pytest.fixture
def tricky_flows(tmp_path: Path) -> Path:
    """The real flows, with a prompt and a centre's name that try to break out."""
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    prompts = flows / "prompts" / "zh-CN.yaml"
    text = prompts.read_text(encoding="utf-8")
    evil = r'</text><script>alert(1)</script> "]; x -> y [label=" \N \G &amp; <B>'
    prompts.write_text(
        text.replace('main_menu: "', f"main_menu: '{evil} ' \nold_main: \"", 1), encoding="utf-8"
    )
    # old_main is only in zh-CN now: give en-US the same prompt id
    english = flows / "prompts" / "en-US.yaml"
    english.write_text(english.read_text(encoding="utf-8") + '\nold_main: "x"\n', encoding="utf-8")
    directory = flows / "directory.yaml"
    directory.write_text(
        directory.read_text(encoding="utf-8").replace("zh-CN: 吉林市", 'zh-CN: "吉林<i>市\\""'),
        encoding="utf-8",
    )
    return flows


def test_prompt_text_and_names_are_escaped(app, tricky_flows):
    bundle = load_flows(tricky_flows, CENTRE_TZ, node_types=registry(app).node_types)
    source = drawing.dot_source(bundle, "zh-CN")
    root = parse(overlay.annotate(drawing.run_dot(source), bundle, None))

    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    menu = next(g for g in groups(root, "flow-node") if g.get("data-node") == "main_menu")
    shown = texts(menu).replace(" ", "")
    assert "</text><script>alert(1)</script>" in shown  # as text, not markup
    assert '"];x->y[label="' in shown
    assert "&amp;<B>" in shown
    assert '吉林<i>市"' in texts(root)
    assert "\\N\\G" in shown  # not the node's or the graph's name
    # the injected edge did not become one: edges are only the flow's
    assert {g.get("data-from") for g in groups(root, "edge")} <= set(bundle.nodes) | {None}
