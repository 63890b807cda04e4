"""Grading agents' calls: rubrics as data, scoring, transcript checks.

Pure Python (no Flask, no database):

- :mod:`ivr.grading.rubric` loads and validates ``flows/rubrics/*.yaml``;
- :mod:`ivr.grading.scoring` turns entries into section scores, totals, grades;
- :mod:`ivr.grading.detect` finds service and forbidden phrases
  (``flows/phrases.yaml``) in a call transcript and suggests item entries.
"""

from ivr.grading.detect import (
    DetectionReport,
    Finding,
    Match,
    Phrase,
    Phrases,
    Suggestion,
    Word,
    detect,
    find_phrase,
    load_phrases,
    normalise,
    words_from_vosk,
)
from ivr.grading.rubric import (
    Band,
    Item,
    Label,
    Level,
    Rubric,
    Section,
    Weights,
    load_rubric,
    load_rubrics,
)
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

__all__ = [
    "AgentScore",
    "Band",
    "CallEntries",
    "CallScore",
    "DetectionReport",
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
    "detect",
    "find_phrase",
    "item_result",
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
