"""Everything grading reads from a flows folder, loaded and validated at once.

``phrases.yaml`` (the transcript checks) and ``rubrics/*.yaml`` (the forms,
whose ``detect:`` names must be checks of that phrase file). The app loads them
at start (:func:`ivr.grading.init_app`) and ``ivr flows check`` validates them,
as it does the call flows: the first problem raises
:class:`~ivr.flows.yamlfile.FlowFileError` naming file, line and reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ivr.flows.yamlfile import FlowFileError
from ivr.grading.phrases import Phrases
from ivr.grading.phrases_file import PHRASES_FILE, load_phrases
from ivr.grading.rubric import Rubric
from ivr.grading.rubric_file import RUBRICS_DIR, load_rubrics


@dataclass(frozen=True)
class GradingData:
    """The rubrics (by id) and phrases of one flows folder.

    ``digests``: rubric id -> SHA-256 of its file, so that results stored under
    another version of a rubric are noticed.
    """

    rubrics: Mapping[str, Rubric]
    phrases: Phrases
    digests: Mapping[str, str]
    source: Path

    def rubric(self, rubric_id: str) -> Rubric:
        return self.rubrics[rubric_id]


def load_grading_data(flows_dir: Path | str) -> GradingData:
    """Load and validate ``flows_dir/phrases.yaml`` and ``flows_dir/rubrics/*.yaml``."""
    base = Path(flows_dir)
    phrases = load_phrases(base / PHRASES_FILE)
    rubrics = load_rubrics(base / RUBRICS_DIR, checks=phrases.checks)
    return GradingData(
        rubrics=rubrics,
        phrases=phrases,
        digests={rubric_id: _digest(rubric.path) for rubric_id, rubric in rubrics.items()},
        source=base,
    )


def _digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise FlowFileError(path, None, f"cannot read: {exc}") from exc
