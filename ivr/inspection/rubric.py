"""Which rubric and phrase list inspection uses, from the grading data of the flows directory.

The running app loads and validates them once (:func:`ivr.grading.data`);
``digest`` names the rubric file's contents so stored results scored under an
older version are noticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ivr import grading
from ivr.grading import GradingData, Phrases, Rubric, load_grading_data

RUBRIC_ID = "12333-monthly"


@dataclass(frozen=True)
class Grading:
    rubric: Rubric
    phrases: Phrases
    digest: str


def of(data: GradingData, rubric_id: str = RUBRIC_ID) -> Grading:
    """The rubric ``rubric_id`` of ``data``, with its phrases and digest."""
    return Grading(data.rubric(rubric_id), data.phrases, data.digests[rubric_id])


def load(flows_dir: Path, rubric_id: str = RUBRIC_ID) -> Grading:
    """The rubric ``rubric_id`` from ``flows_dir/rubrics`` and ``flows_dir/phrases.yaml``."""
    return of(load_grading_data(flows_dir), rubric_id)


def current() -> Grading:
    """The grading set-up of the running app (``IVR_FLOWS_DIR``)."""
    return of(grading.data())
