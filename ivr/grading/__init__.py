"""Grading agents' calls: rubrics as data, scoring, transcript checks.

Pure Python (no database; Flask only in :func:`init_app` and :func:`data`):

- :mod:`ivr.grading.rubric` is the form model; :mod:`ivr.grading.rubric_file`
  (with :mod:`ivr.grading.rubric_ranges`) reads ``flows/rubrics/*.yaml``;
- :mod:`ivr.grading.scoring` turns entries into section scores, totals, grades
  (:mod:`ivr.grading.results`);
- :mod:`ivr.grading.phrases` holds phrases and their matching,
  :mod:`ivr.grading.phrases_file` reads ``flows/phrases.yaml``, and
  :mod:`ivr.grading.detect` finds them in a call transcript and suggests item
  entries;
- :mod:`ivr.grading.datafiles` loads and validates both files of a flows
  folder together: :func:`load_grading_data`.

The running app holds its :class:`GradingData` in ``app.extensions["ivr.grading"]``:
:func:`init_app` loads it at start (a bad file stops the server with a
:class:`~ivr.flows.yamlfile.FlowFileError`), :func:`data` reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivr.grading.datafiles import GradingData, load_grading_data
from ivr.grading.detect import (
    DetectionReport,
    Finding,
    Match,
    Suggestion,
    Word,
    detect,
    find_phrase,
    words_from_vosk,
)
from ivr.grading.phrases import Phrase, Phrases, normalise
from ivr.grading.phrases_file import load_phrases
from ivr.grading.rubric import Band, Item, Label, Level, Rubric, Section, Weights
from ivr.grading.rubric_file import load_rubric, load_rubrics
from ivr.grading.scoring import (
    AgentScore,
    CallEntries,
    CallScore,
    InspectorScore,
    ItemResult,
    ScoringError,
    SectionScore,
    SectionTally,
    item_result,
    round2,
    score_agent,
    score_call,
    tally_section,
)

if TYPE_CHECKING:
    from flask import Flask

EXTENSION = "ivr.grading"


def init_app(app: Flask) -> None:
    """Load and validate the rubrics and phrases of ``IVR_FLOWS_DIR`` into the app.

    Raises :class:`~ivr.flows.yamlfile.FlowFileError` (file, line, reason) on
    the first problem, so that a bad file stops the server from starting.
    """
    app.extensions[EXTENSION] = load_grading_data(app.config["SETTINGS"].flows_dir)


def data() -> GradingData:
    """The running app's grading data; loaded now if :func:`init_app` was not called."""
    from flask import current_app

    if EXTENSION not in current_app.extensions:
        init_app(current_app)
    return current_app.extensions[EXTENSION]


__all__ = [
    "AgentScore",
    "Band",
    "CallEntries",
    "CallScore",
    "DetectionReport",
    "GradingData",
    "Finding",
    "InspectorScore",
    "Item",
    "ItemResult",
    "Label",
    "Level",
    "Match",
    "Phrase",
    "Phrases",
    "Rubric",
    "ScoringError",
    "Section",
    "SectionScore",
    "SectionTally",
    "Suggestion",
    "Weights",
    "Word",
    "data",
    "detect",
    "find_phrase",
    "init_app",
    "item_result",
    "load_grading_data",
    "load_phrases",
    "load_rubric",
    "load_rubrics",
    "normalise",
    "round2",
    "score_agent",
    "score_call",
    "tally_section",
    "words_from_vosk",
]
