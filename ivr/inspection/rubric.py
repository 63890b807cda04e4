"""Which rubric and phrase list inspection uses, loaded from the flows directory.

Both are cached while their files are unchanged; ``digest`` names the rubric
file's contents so stored results scored under an older version are noticed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ivr.grading import Phrases, Rubric, load_phrases, load_rubrics

RUBRIC_ID = "12333-monthly"


@dataclass(frozen=True)
class Grading:
    rubric: Rubric
    phrases: Phrases
    digest: str


_cache: dict[tuple[str, str, int, int], Grading] = {}


def load(flows_dir: Path, rubric_id: str = RUBRIC_ID) -> Grading:
    """The rubric ``rubric_id`` from ``flows_dir/rubrics`` and ``flows_dir/phrases.yaml``."""
    rubrics_dir = flows_dir / "rubrics"
    phrases_path = flows_dir / "phrases.yaml"
    stamp = max((p.stat().st_mtime_ns for p in rubrics_dir.glob("*.y*ml")), default=0)
    key = (str(flows_dir), rubric_id, stamp, phrases_path.stat().st_mtime_ns)
    if key not in _cache:
        rubric = load_rubrics(rubrics_dir)[rubric_id]
        digest = hashlib.sha256(Path(rubric.path).read_bytes()).hexdigest()
        _cache[key] = Grading(rubric, load_phrases(phrases_path), digest)
    return _cache[key]


def current() -> Grading:
    """The grading set-up of the running app (``IVR_FLOWS_DIR``)."""
    return load(current_app.config["SETTINGS"].flows_dir)
