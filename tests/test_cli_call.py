"""`ivr call` walks the menu in-process, printing what the caller hears."""

from __future__ import annotations

from click.testing import CliRunner

from ivr.cli import main
from ivr.migrate import upgrade
from tests.conftest import app_environ


def test_ivr_call_in_process(monkeypatch, tmp_path, at):
    at(2026, 11, 23, 10, 0)
    database_url = f"sqlite:///{tmp_path / 'cli.db'}"  # commits: keep them out of the shared schema
    upgrade(database_url)
    for key, value in app_environ(database_url, tmp_path).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["call", "--press", "9,0431#"])
    assert result.exit_code == 0, result.output
    assert "上级或异地服务请按9" in result.output
    assert "pressed 0431#" in result.output
    assert "dial +8643188912333" in result.output
    assert "ended: server hung up" in result.output
