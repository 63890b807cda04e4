"""A stored two-channel transcript as the grading page shows it, and its suggestions.

The transcript is ``Transcript.to_dict()`` from ivr/speech/transcribe.py: words
with ``word``, ``start``, ``end``, ``conf`` and ``channel`` ("caller" or
"agent"). Lines are runs of one channel's words; the agent's words go through
:func:`ivr.grading.detect`, whose findings become hints that pre-fill the
matching rubric items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ivr.grading import DetectionReport, Finding, Word, detect
from ivr.inspection.rubric import Grading

LINE_GAP = 1.2  # seconds of silence that start a new line on the same channel
CHANNEL_LABELS = {"caller": "来电人 Caller", "agent": "咨询员 Agent", "mixed": "通话 Call"}

# Checks always listed on the grading page, in this order; others only when heard.
SHOWN_CHECKS = (
    "greeting",
    "closing",
    "hold_ask",
    "hold_progress",
    "hold_return",
    "forbidden_phrase",
)

STATUS_TEXT = {
    "present": "已说 Said",
    "missing": "缺少 Missing",
    "out_of_window": "位置不对 Said, but not where it belongs",
    "heard": "听到禁语 Heard",
    "clean": "未听到禁语 None heard",
    "not_heard": "未听到 Not heard — no suggestion",
}


@dataclass
class Line:
    channel: str
    start: float
    end: float
    words: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)


@dataclass(frozen=True)
class Hint:
    """One transcript check as shown next to the form."""

    check: str
    label: str
    status: str
    start: float | None
    end: float | None
    heard: str
    phrase: str
    item_id: str | None
    entry: bool | int | None  # the suggested entry; None: no suggestion
    deduction: Decimal

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def violation(self) -> bool:
        return self.status in ("missing", "out_of_window", "heard")


def words_of(transcript: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The transcript's words in time order, each with a channel."""
    words = [w for w in transcript.get("words") or [] if isinstance(w, Mapping) and "word" in w]
    default = _single_channel(transcript)
    out = [
        {
            "word": str(w["word"]),
            "start": float(w.get("start") or 0),
            "end": float(w.get("end") or w.get("start") or 0),
            "channel": str(w.get("channel") or default),
        }
        for w in words
    ]
    out.sort(key=lambda w: (w["start"], w["channel"] != "caller"))
    return out


def lines(transcript: Mapping[str, Any], gap: float = LINE_GAP) -> list[Line]:
    """Words grouped into lines: a new line when the channel changes or after ``gap`` s."""
    result: list[Line] = []
    for word in words_of(transcript):
        last = result[-1] if result else None
        if last is None or last.channel != word["channel"] or word["start"] - last.end > gap:
            last = Line(word["channel"], word["start"], word["end"])
            result.append(last)
        last.words.append(word)
        last.end = max(last.end, word["end"])
    return result


def detection(grading: Grading, transcript: Mapping[str, Any]) -> DetectionReport | None:
    """Run the transcript checks on the agent's channel (the whole call when mono)."""
    words = words_of(transcript)
    if not words:
        return None
    channels = {w["channel"] for w in words}
    if "agent" in channels:
        channel = "agent"
        words = [w for w in words if w["channel"] == "agent"]
    else:
        channel = "mixed"
    return detect(
        [Word(w["word"], w["start"], w["end"]) for w in words],
        channel=channel,
        phrases=grading.phrases,
        rubric=grading.rubric,
    )


def hints(grading: Grading, report: DetectionReport | None) -> list[Hint]:
    """The checks worth showing: the always-listed ones, then any other that was heard."""
    if report is None:
        return []
    checks = grading.phrases.checks
    shown: list[Finding] = []
    for name in SHOWN_CHECKS:
        shown.extend(report.for_check(name))
    shown.extend(
        f for f in report.findings if f.check not in SHOWN_CHECKS and f.status != "not_heard"
    )
    shown.sort(key=lambda f: not f.violation)  # what needs a decision first
    out = []
    for finding in shown:
        item_id = finding.item_ids[0] if finding.item_ids else None
        suggestion = report.suggestions.get(item_id) if item_id else None
        check = checks.get(finding.check)
        match = finding.match
        out.append(
            Hint(
                check=finding.check,
                label=check.label.zh_CN + " " + check.label.en_US if check else finding.check,
                status=finding.status,
                start=match.start if match else None,
                end=match.end if match else None,
                heard=match.heard if match else "",
                phrase=match.phrase.zh_CN if match else "",
                item_id=item_id,
                entry=suggestion.entry if suggestion else None,
                deduction=suggestion.deduction if suggestion else Decimal(0),
            )
        )
    return out


def suggested_entries(report: DetectionReport | None) -> dict[str, bool | int]:
    return report.entries() if report else {}


def _single_channel(transcript: Mapping[str, Any]) -> str:
    channels = transcript.get("channels") or []
    if len(channels) == 1 and isinstance(channels[0], Mapping):
        return str(channels[0].get("label") or "mixed")
    return "mixed"
