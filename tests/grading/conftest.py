"""Fixtures for the grading tests: the real rubrics and a small test rubric."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ivr.grading import Phrases, Rubric, load_phrases, load_rubric, load_rubrics

CHECKS = ("greeting", "closing", "forbidden_phrase")

# A small weighted + bonus form whose "mistakes" count makes any policy score
# easy to produce: 35 - mistakes.
TEST_RUBRIC = """\
id: test-form
label: {zh-CN: 测试表, en-US: Test form}
base: 35
bands:
  - {grade: A, above: 30}
  - {grade: B, min: 0}
sections:
  - id: policy
    label: {zh-CN: 政策水平, en-US: Policy level}
    points: 35
    source: weighted
    weights: {team_leader: 0.4, recordings: 0.6}
    calls_per_inspector: 3
    items:
      - id: accuracy
        kind: choice
        points: 15
        label: {zh-CN: 准确率, en-US: Accuracy}
        levels:
          - {id: good, deduct: 0, label: {zh-CN: 好, en-US: Good}}
          - {id: bad, deduct: 15, label: {zh-CN: 差, en-US: Bad}}
      - id: mistakes
        kind: count
        deduct: 1
        label: {zh-CN: 错误, en-US: Mistakes}
      - id: greeting
        kind: check
        deduct: 0.5
        detect: greeting
        label: {zh-CN: 欢迎词, en-US: Greeting}
  - id: extra
    label: {zh-CN: 附加得分, en-US: Bonus}
    points: 5
    source: direct
    mode: add
    items:
      - id: praise
        kind: count
        add: 2
        label: {zh-CN: 表扬, en-US: Praise}
"""


@pytest.fixture(scope="session")
def rubrics() -> dict[str, Rubric]:
    return load_rubrics()


@pytest.fixture(scope="session")
def monthly(rubrics: dict[str, Rubric]) -> Rubric:
    return rubrics["12333-monthly"]


@pytest.fixture(scope="session")
def volunteer(rubrics: dict[str, Rubric]) -> Rubric:
    return rubrics["volunteer-spotcheck"]


@pytest.fixture(scope="session")
def phrases() -> Phrases:
    return load_phrases()


@pytest.fixture
def write_rubric(tmp_path: Path) -> Callable[[str], Path]:
    """Write rubric text to a temporary file and return its path."""

    def write(text: str, name: str = "form.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def test_rubric(tmp_path_factory: pytest.TempPathFactory) -> Rubric:
    path = tmp_path_factory.mktemp("rubric") / "test-form.yaml"
    path.write_text(TEST_RUBRIC, encoding="utf-8")
    return load_rubric(path, checks=CHECKS)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]
