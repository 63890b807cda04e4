"""Rubrics and phrases are loaded and validated together, at start, like the flows."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from flask import Flask

from ivr import grading
from ivr.app import create_app
from ivr.flows.yamlfile import FlowFileError
from ivr.grading import GradingData, load_grading_data
from ivr.inspection import rubric as inspection_rubric
from ivr.settings import ROOT, load_settings
from tests.conftest import app_environ

from .conftest import line_of


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", target)
    return target


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def test_shipped_grading_data_is_valid() -> None:
    data = load_grading_data(ROOT / "flows")
    assert set(data.rubrics) == {"12333-monthly", "volunteer-spotcheck"}
    assert {"greeting", "closing", "forbidden_phrase"} <= set(data.phrases.checks)
    monthly = data.rubric("12333-monthly")
    expected = hashlib.sha256((ROOT / "flows/rubrics/12333-monthly.yaml").read_bytes()).hexdigest()
    assert data.digests["12333-monthly"] == expected
    assert Path(monthly.path) == ROOT / "flows/rubrics/12333-monthly.yaml"
    # Every detect: name of every rubric is a check of the phrase file.
    for rubric in data.rubrics.values():
        assert {item.detect for item in rubric.detect_items()} <= set(data.phrases.checks)


# (file, text to replace, replacement, reason, text on the reported line)
BREAKAGES = [
    (
        "rubrics/12333-monthly.yaml",
        "    source: weighted",
        "    source: monthly",
        "source must be one of weighted, direct",
        "source: monthly",
    ),
    (
        "rubrics/12333-monthly.yaml",
        "detect: greeting",
        "detect: greting",
        "unknown detect name 'greting'",
        "detect: greting",
    ),
    (
        "rubrics/volunteer-spotcheck.yaml",
        "base: 100",
        "base: 90",
        "but base is 90",
        "base: 90",
    ),
    (
        "phrases.yaml",
        "    expect: always",
        "    expect: sometimes",
        "expect must be one of",
        "expect: sometimes",
    ),
    ("phrases.yaml", "checks:", "checks:\n  Bad-Name: {}", "is not a valid id", "Bad-Name"),
    (
        "phrases.yaml",
        "    label: {",
        "    colour: red\n    label: {",
        "unknown key 'colour'",
        "colour",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "reason", "marked"), BREAKAGES)
def test_a_bad_file_names_file_line_and_reason(flows, file, old, new, reason, marked) -> None:
    path = flows / file
    text = edit(path, old, new)
    with pytest.raises(FlowFileError) as caught:
        load_grading_data(flows)
    error = caught.value
    assert error.path == str(path)
    assert reason in error.reason, str(error)
    assert error.line == line_of(text, marked), str(error)
    assert str(error) == f"{path}:{error.line}: {error.reason}"


def test_missing_files_are_reported(flows) -> None:
    shutil.rmtree(flows / "rubrics")
    with pytest.raises(FlowFileError, match="rubric directory not found") as caught:
        load_grading_data(flows)
    assert caught.value.path == str(flows / "rubrics")
    (flows / "phrases.yaml").unlink()
    with pytest.raises(FlowFileError, match="cannot read") as caught:
        load_grading_data(flows)
    assert caught.value.path == str(flows / "phrases.yaml")


def test_yaml_syntax_error_in_a_rubric(flows) -> None:
    path = flows / "rubrics" / "12333-monthly.yaml"
    edit(path, "base: 100", "base: [100")
    with pytest.raises(FlowFileError, match="invalid YAML") as caught:
        load_grading_data(flows)
    assert caught.value.path == str(path) and caught.value.line is not None


# --------------------------------------------------------------------------- the app


def settings_for(flows: Path, tmp_path: Path):
    return load_settings(app_environ("sqlite://", tmp_path, IVR_FLOWS_DIR=str(flows)))


def test_init_app_refuses_a_bad_rubric_at_start(flows, tmp_path) -> None:
    path = flows / "rubrics" / "12333-monthly.yaml"
    edit(path, "detect: greeting", "detect: greting")
    with pytest.raises(FlowFileError, match=r"12333-monthly\.yaml:\d+: unknown detect name"):
        app = create_app({"SETTINGS": settings_for(flows, tmp_path)})
        grading.init_app(app)


def test_init_app_refuses_a_bad_phrase_file_at_start(flows, tmp_path) -> None:
    edit(flows / "phrases.yaml", "    expect: always", "    expect: sometimes")
    with pytest.raises(FlowFileError, match=r"phrases\.yaml:\d+: expect must be one of"):
        app = create_app({"SETTINGS": settings_for(flows, tmp_path)})
        grading.init_app(app)


def test_init_app_stores_what_data_returns(flows, tmp_path) -> None:
    app = create_app({"SETTINGS": settings_for(flows, tmp_path)})
    grading.init_app(app)
    loaded = app.extensions[grading.EXTENSION]
    assert isinstance(loaded, GradingData) and loaded.source == flows
    with app.app_context():
        assert grading.data() is loaded
        current = inspection_rubric.current()
    assert current.rubric is loaded.rubric(inspection_rubric.RUBRIC_ID)
    assert current.digest == loaded.digests[inspection_rubric.RUBRIC_ID]
    # Loaded once: a file edited afterwards is not read until the next start.
    edit(flows / "phrases.yaml", "    expect: always", "    expect: sometimes")
    with app.app_context():
        assert grading.data() is loaded


def test_data_loads_lazily_without_init_app(flows, tmp_path) -> None:
    app = Flask(__name__)
    app.config["SETTINGS"] = settings_for(flows, tmp_path)
    with app.app_context():
        first = grading.data()
        assert grading.data() is first
    assert app.extensions[grading.EXTENSION] is first

    broken = Flask(__name__)
    broken.config["SETTINGS"] = settings_for(flows, tmp_path)
    edit(flows / "rubrics" / "volunteer-spotcheck.yaml", "base: 100", "base: 90")
    with broken.app_context(), pytest.raises(FlowFileError, match="but base is 90"):
        grading.data()
    assert grading.EXTENSION not in broken.extensions
