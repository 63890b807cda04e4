"""bench/analytics.py runs end to end at a tiny size: walked, copied, timed, and agreeing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.harness import ROOT, on_sqlite, suite_database_url

pytestmark = pytest.mark.slow


@pytest.mark.skipif(on_sqlite(), reason="the bench bulk-loads PostgreSQL with COPY")
def test_the_analytics_bench_prints_both_sides_and_they_agree():
    done = subprocess.run(  # noqa: S603 - our own bench with fixed arguments
        [
            sys.executable,
            str(ROOT / "bench" / "analytics.py"),
            *("--events", "3000", "--template", "40", "--repeat", "1"),
            *("--database-url", suite_database_url()),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "figures agree (entries, options, hang-ups at every node): yes" in out
    assert "figures agree for every centre: yes" in out
    assert "plain SQL of the same figures" in out and "targets met" in out
