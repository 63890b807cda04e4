"""A bad flow file fails at start-up, naming file, line and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.app import create_app
from ivr.cli import main
from ivr.flows import FlowFileError, load_flows
from ivr.settings import ROOT, load_settings
from tests.harness import CENTRE_TZ, app_environ
from tests.node_types import node_types


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_shipped_flows_are_valid():
    bundle = load_flows(ROOT / "flows", CENTRE_TZ, node_types=node_types())
    assert set(bundle.prompts.by_locale) == {"zh-CN", "en-US"}


# (file, text to replace, replacement, reason, text on the reported line or None)
BREAKAGES = [
    ("hotline.yaml", '"9": other_region', '"9": nowhere', "unknown node 'nowhere'", '"9": nowhere'),
    (
        "hotline.yaml",
        "type: area_code",
        "type: teleport",
        "unknown type 'teleport'",
        "type: teleport",
    ),
    ("hotline.yaml", "prompt: main_menu", "prompt: no_such", "unknown prompt", "prompt: no_such"),
    ("hotline.yaml", "schedule: centre", "schedule: night", "unknown schedule", "schedule: night"),
    ("hotline.yaml", '"8": topic_card', '"x": topic_card', "option 'x'", '"x": topic_card'),
    (
        "hotline.yaml",
        "next: hours_check",
        "next: hours_check\n    colour: red",
        "unknown field 'colour'",
        "colour: red",
    ),
    ("hotline.yaml", "next: reduced_menu", "next: hours_check", "loop without input", None),
    ("hours.yaml", 'open: "08:00"', "open: eight", "expected HH:MM", "open: eight"),
    ("hours.yaml", "- 2026-05-01", "- May Day", "expected a date", "May Day"),
    ("directory.yaml", '"0433":', '"433":', "expected 0 and 2-3 digits", '"433":'),
    (
        "directory.yaml",
        'number: "+8643188912333"',
        'number: "043112333"',
        "this hotline's own number",
        'number: "043112333"',
    ),
    ("prompts/en-US.yaml", "goodbye:", "good_bye:", "'goodbye' is missing", None),
    ("prompts/zh-CN.yaml", "{province}", "{provinse}", "unknown placeholder", None),
    ("hotline.yaml", "  main_menu:\n", "  main_menu:\n  main_menu:\n", "duplicate key", None),
    ("hotline.yaml", "start: welcome", "start: [welcome", "invalid YAML", None),
]


@pytest.mark.parametrize(("file", "old", "new", "reason", "marked"), BREAKAGES)
def test_invalid_flow_files_are_reported_with_file_line_and_reason(
    flows, file, old, new, reason, marked
):
    path = flows / file
    edit(path, old, new)
    with pytest.raises(FlowFileError) as info:
        load_flows(flows, CENTRE_TZ, node_types=node_types())
    error = info.value
    assert Path(error.path) == path
    assert reason in error.reason
    if marked:
        assert marked in path.read_text(encoding="utf-8").splitlines()[error.line - 1]


def test_mobile_block_errors_name_the_csv_line(flows):
    path = flows / "mobile_blocks.csv"
    path.write_text(path.read_text() + "1390999,0999\n")
    with pytest.raises(FlowFileError) as info:
        load_flows(flows, CENTRE_TZ, node_types=node_types())
    assert info.value.line == len(path.read_text().splitlines())
    assert "0999" in info.value.reason


def test_server_refuses_to_start_on_an_invalid_flow(flows, tmp_path):
    edit(flows / "hotline.yaml", '"9": other_region', '"9": nowhere')
    environ = app_environ("sqlite://", tmp_path, IVR_FLOWS_DIR=str(flows))
    with pytest.raises(FlowFileError, match=r"hotline\.yaml:\d+: .*nowhere"):
        create_app({"SETTINGS": load_settings(environ)})


def test_flows_check_command(flows, tmp_path, monkeypatch):
    for key, value in app_environ("sqlite://", tmp_path).items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    ok = runner.invoke(main, ["flows", "check", "--dir", str(flows)])
    assert ok.exit_code == 0 and ok.output.startswith("ok: hotline-12333")
    edit(flows / "hours.yaml", 'close: "18:00"', 'close: "07:00"')
    bad = runner.invoke(main, ["flows", "check", "--dir", str(flows)])
    assert bad.exit_code == 1
    line = line_of(flows / "hours.yaml", 'open: "08:00"')
    assert f"hours.yaml:{line}: open must be before close" in bad.output


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("max_wait: 180", "max_wait: soon", "expected a whole number"),
        ("overflow_provincial: true", "overflow_provincial: maybe", "expected true or false"),
        ('desk: "+8643112300"', "desk: the duty desk", "expected +number or sip: address"),
    ],
)
def test_node_settings_are_checked_at_start_up(flows, old, new, reason):
    path = flows / "hotline.yaml"
    edit(path, old, new)
    with pytest.raises(FlowFileError) as info:
        load_flows(flows, CENTRE_TZ, node_types=node_types())
    assert reason in info.value.reason
    assert new in path.read_text(encoding="utf-8").splitlines()[info.value.line - 1]


def test_flows_check_also_checks_the_rubrics_and_phrases(flows, tmp_path, monkeypatch):
    for key, value in app_environ("sqlite://", tmp_path).items():
        monkeypatch.setenv(key, value)
    rubric = flows / "rubrics" / "12333-monthly.yaml"
    edit(rubric, "id: 12333-monthly", "id: [12333, monthly]")
    bad = CliRunner().invoke(main, ["flows", "check", "--dir", str(flows)])
    assert bad.exit_code == 1
    assert f"12333-monthly.yaml:{line_of(rubric, 'id: [12333')}:" in bad.output
