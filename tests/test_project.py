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
