"""fax.yaml is checked with the flows: a bad catalogue names file, line and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.app import create_app
from ivr.cli import main
from ivr.fax.catalogue import load_catalogue
from ivr.fax.ext import load_for
from ivr.flows import FlowFileError, load_flows
from ivr.settings import ROOT, load_settings
from tests.conftest import CENTRE_TZ, app_environ
from tests.node_types import node_types

LOCALES = ("zh-CN", "en-US")


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


def test_shipped_catalogue_is_valid():
    catalogue = load_for(load_flows(ROOT / "flows", CENTRE_TZ, node_types=node_types()))
    assert list(catalogue.documents) == ["1", "2", "3", "4", "5"]
    titles = {d.title("zh-CN") for d in catalogue.documents.values()}
    assert {
        "养老保险待遇申领须知",
        "失业保险金申领材料清单",
        "工伤认定申请材料",
        "劳动合同书范本要点",
    } <= titles
    assert all(d.text and d.title("en-US") for d in catalogue.documents.values())
    assert catalogue.key_digits == 1


# (text to replace, replacement, reason, text on the reported line or None)
BREAKAGES = [
    ('  "3":', '  "3x":', "the key must be one or two digits", '"3x":'),
    (
        "      en-US: the essentials of a model labour contract\n",
        "",
        "no text for locale en-US",
        None,
    ),
    (
        "      zh-CN: 工伤认定申请材料",
        "      zh-CN: 工伤认定申请材料\n      fr-FR: accident",
        "unknown locale 'fr-FR'",
        "fr-FR",
    ),
    (
        "    text: work-injury.txt",
        "    text: missing.txt",
        "no file fax/missing.txt",
        "text: missing.txt",
    ),
    (
        "    text: work-injury.txt",
        "    text: ../hotline.yaml",
        "must name a file inside fax/",
        "text: ../hotline.yaml",
    ),
    (
        "    text: work-injury.txt",
        "    text: work-injury.txt\n    pdf: x.pdf",
        "either text or pdf",
        None,
    ),
    (
        "    text: work-injury.txt",
        "    pdf: work-injury.txt",
        "is not a PDF file",
        "pdf: work-injury.txt",
    ),
    (
        "    text: work-injury.txt",
        "    text: work-injury.txt\n    colour: red",
        "unknown field 'colour'",
        "colour: red",
    ),
    ('  "2":', '  "1":', "duplicate key '1'", None),
    ("documents:", "documents:\n  - just a list", "invalid YAML", None),
]


@pytest.mark.parametrize(("old", "new", "reason", "line_text"), BREAKAGES)
def test_breakages_name_file_line_and_reason(flows, old, new, reason, line_text):
    path = flows / "fax.yaml"
    edit(path, old, new)
    with pytest.raises(FlowFileError) as caught:
        load_catalogue(flows, LOCALES)
    error = caught.value
    assert error.path == str(path)
    assert reason in error.reason, error.reason
    assert error.line is not None
    if line_text:
        assert error.line == line_of(path, line_text)


def test_empty_or_undecodable_texts_are_refused(flows):
    (flows / "fax" / "work-injury.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(FlowFileError, match="work-injury.txt is empty"):
        load_catalogue(flows, LOCALES)
    (flows / "fax" / "work-injury.txt").write_bytes("工伤".encode("gbk"))
    with pytest.raises(FlowFileError, match="not UTF-8"):
        load_catalogue(flows, LOCALES)


def test_a_fax_node_without_a_catalogue_stops_the_server(flows, tmp_path, database_url):
    (flows / "fax.yaml").unlink()
    environ = app_environ(database_url, tmp_path, IVR_FLOWS_DIR=str(flows))
    with pytest.raises(FlowFileError, match="fax.yaml: missing: node 'fax' is a fax node"):
        create_app({"SETTINGS": load_settings(environ)})


def test_flows_check_reports_the_catalogue(flows, monkeypatch):
    monkeypatch.setenv("IVR_ENV_FILE", "/nonexistent")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "x")
    monkeypatch.setenv("SECRET_KEY", "x")
    edit(flows / "fax.yaml", "    text: labour-contract.txt", "    text: nope.txt")
    result = CliRunner().invoke(main, ["flows", "check", "--dir", str(flows)])
    assert result.exit_code == 1
    line = line_of(flows / "fax.yaml", "text: nope.txt")
    assert (
        f"error: {flows / 'fax.yaml'}:{line}: document 4: text: no file fax/nope.txt"
        in result.output
    )
