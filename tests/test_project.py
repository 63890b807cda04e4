"""Project-level checks: migrations, lint."""

from __future__ import annotations

import subprocess
import sys

from ivr.migrate import heads
from ivr.settings import ROOT


def test_single_alembic_head():
    assert len(heads()) == 1


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_match_the_migrations(database_url):
    """Every model change has its migration (alembic autogenerate finds nothing to do)."""
    from alembic import command

    from ivr.migrate import alembic_config
    from tests.harness import normalise_database_url

    command.check(alembic_config(normalise_database_url(database_url)))


def test_apt_waits_for_another_apt_process():
    """scripts/ never fails at once when another apt process holds apt's locks.

    apt-get install waits by itself given DPkg::Lock::Timeout; apt-get update
    ignores that option for its lists lock, so it runs as an `until` retry loop.
    """
    calls = [
        (path.name, line.strip())
        for path in sorted((ROOT / "scripts").iterdir())
        for line in path.read_text().splitlines()
        if "apt-get " in line and not line.lstrip().startswith("#")
    ]
    assert calls
    for name, line in calls:
        if "apt-get update" in line:
            assert line.startswith("until "), f"{name}: {line}"
        else:
            assert "DPkg::Lock::Timeout=" in line, f"{name}: {line}"
