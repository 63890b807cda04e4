"""The README's examples do what it says, run as written on scripts/serve's demo data."""

from __future__ import annotations

import re
import shlex

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.migrate import upgrade
from ivr.settings import ROOT
from tests.harness import app_environ

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test


def example(after: str, before: str) -> list[list[str]]:
    """The `.venv/bin/ivr …` commands of the README between two headings/sentences."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    part = text[text.index(after) : text.index(before)]
    return [shlex.split(m) for m in re.findall(r"^    \.venv/bin/ivr (.+)$", part, re.M)]


def test_the_queue_example_waits_in_the_jilin_queue(monkeypatch, tmp_path, at):
    at(2026, 11, 23, 10, 0)  # staffed hours
    database_url = f"sqlite:///{tmp_path / 'cli.db'}"  # commits: keep them out of the shared schema
    upgrade(database_url)
    for key, value in app_environ(database_url, tmp_path).items():
        monkeypatch.setenv(key, value)
    assert CliRunner().invoke(main, ["agents", "demo"]).exit_code == 0  # as scripts/serve
    commands = example("In an agents' queue", "## The menu")
    assert commands[-1][:1] == ["call"]
    for args in commands:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    assert "⏳ waiting in queue jilin (position 1, 0 s in)" in result.output
    assert result.output.rstrip().endswith("ended: caller hung up in queue")


def test_hold_music_plays_each_round_in_the_queue(monkeypatch, tmp_path, at):
    """What the README says about hold music: the agent node's `hold_music` prompt
    plays `flows/audio/hold_music.wav` each round, after the hold prompt."""
    at(2026, 11, 23, 10, 0)
    database_url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(database_url)
    environ = app_environ(database_url, tmp_path)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    jilin_city = "+8643262012345"  # no agents: the caller waits
    args = ["call", "--from", jilin_city, "--press", "0", "--queue-rounds", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "  🔊 请不要挂机，我们将尽快为您接通。\n  🔊 [plays hold_music.wav]\n" in result.output
