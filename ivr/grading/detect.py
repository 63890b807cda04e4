"""Transcript checks: find service and forbidden phrases in a recorded call.

Input is a speech-recognition transcript: words with start/end times in
seconds (Vosk's ``result`` lists; for Chinese the "words" may be single
characters or multi-character words). Text is normalised before matching
(see :mod:`ivr.grading.phrases`) and every matched character is mapped back to
the word it came from, so each finding carries the moment in the audio.

The checks and their phrases are data: ``flows/phrases.yaml``. A rubric item
that names a check (``detect: greeting``) receives its suggestion: a phrase
heard or missing suggests keeping or deducting the item. Suggestions are for
the inspector, who listens and decides.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ivr.grading.phrases import (
    Check,
    Phrase,
    Phrases,
    compile_phrase,
    match_pattern,
    normal_chars,
)
from ivr.grading.phrases_file import load_phrases
from ivr.grading.rubric import Rubric

CHANNELS = ("agent", "caller", "mixed")

# Finding statuses.
PRESENT = "present"  # an expected phrase was heard (in its window)
MISSING = "missing"  # a required phrase was not heard
OUT_OF_WINDOW = "out_of_window"  # heard, but not where it belongs (e.g. a late greeting)
HEARD = "heard"  # a forbidden phrase was heard (one finding per occurrence)
CLEAN = "clean"  # no forbidden phrase was heard
NOT_HEARD = "not_heard"  # a situational phrase was not heard: no suggestion


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    conf: float | None = None


@dataclass(frozen=True)
class Match:
    """Where a phrase was heard: times in seconds, word indexes end-exclusive."""

    phrase: Phrase
    start: float
    end: float
    heard: str
    first_word: int
    last_word: int
    edits: int = 0


@dataclass(frozen=True)
class Finding:
    check: str
    status: str
    match: Match | None = None
    item_ids: tuple[str, ...] = ()

    @property
    def start(self) -> float | None:
        return self.match.start if self.match else None

    @property
    def violation(self) -> bool | None:
        """True: suggests a deduction; False: suggests none; None: no suggestion."""
        if self.status in (MISSING, OUT_OF_WINDOW, HEARD):
            return True
        if self.status in (PRESENT, CLEAN):
            return False
        return None


@dataclass(frozen=True)
class Suggestion:
    """What the transcript suggests for one rubric ``check`` item."""

    item_id: str
    violated: bool
    times: int
    deduction: Decimal
    findings: tuple[Finding, ...]

    @property
    def entry(self) -> bool | int:
        """The value to pre-fill in a call's entries (see ivr.grading.scoring)."""
        return self.times if self.times > 1 else self.violated


@dataclass(frozen=True)
class DetectionReport:
    channel: str
    findings: tuple[Finding, ...]
    suggestions: Mapping[str, Suggestion]

    def entries(self) -> dict[str, bool | int]:
        """Suggested item entries, ready for :func:`ivr.grading.scoring.score_call`."""
        return {item_id: s.entry for item_id, s in self.suggestions.items()}

    def for_check(self, name: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.check == name)


# --------------------------------------------------------------------------- transcript


def words_from_vosk(results: Any) -> list[Word]:
    """Words from Vosk output: a result dict, a JSON string, or a list of either.

    Also accepts word dicts (``{"word", "start", "end"[, "conf"]}``) directly,
    and :class:`Word` objects.
    """
    if isinstance(results, str | bytes):
        results = json.loads(results)
    if isinstance(results, Mapping):
        results = [results]
    words: list[Word] = []
    for entry in results:
        if isinstance(entry, Word):
            words.append(entry)
        elif isinstance(entry, str | bytes):
            words.extend(words_from_vosk(entry))
        elif isinstance(entry, Mapping) and "result" in entry:
            words.extend(words_from_vosk(entry.get("result") or []))
        elif isinstance(entry, Mapping) and "word" in entry:
            conf = entry.get("conf")
            words.append(
                Word(
                    text=str(entry["word"]),
                    start=float(entry["start"]),
                    end=float(entry["end"]),
                    conf=None if conf is None else float(conf),
                )
            )
        elif isinstance(entry, Mapping):
            continue  # a result without words ({"text": ""})
        else:
            raise TypeError(f"not a Vosk result or word: {entry!r}")
    return words


class _Text:
    """Normalised transcript text and, per character, the word it came from."""

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = words
        chars: list[str] = []
        owner: list[int] = []
        for index, word in enumerate(words):
            for char in normal_chars(word.text):
                chars.append(char)
                owner.append(index)
        self.text = "".join(chars)
        self.owner = owner

    def match(self, phrase: Phrase, start: int, end: int, edits: int) -> Match:
        first, last = self.owner[start], self.owner[end - 1]
        return Match(
            phrase=phrase,
            start=self.words[first].start,
            end=self.words[last].end,
            heard=" ".join(w.text for w in self.words[first : last + 1]),
            first_word=first,
            last_word=last + 1,
            edits=edits,
        )


def find_phrase(
    words: Sequence[Word] | Any, phrase: str | Phrase, *, fuzz: float = 0.0
) -> list[Match]:
    """Every place ``phrase`` (zh-CN, placeholders allowed) is heard in ``words``."""
    words = _as_words(words)
    if isinstance(phrase, str):
        phrase = Phrase(zh_CN=phrase, en_US="")
    text = _Text(words)
    return [
        text.match(phrase, s, e, k)
        for s, e, k in match_pattern(text.text, compile_phrase(phrase), fuzz)
    ]


def _as_words(words: Any) -> list[Word]:
    if isinstance(words, list | tuple) and all(isinstance(w, Word) for w in words):
        return list(words)
    return words_from_vosk(words)


def detect(
    words: Sequence[Word] | Any,
    *,
    channel: str = "agent",
    phrases: Phrases | None = None,
    rubric: Rubric | None = None,
) -> DetectionReport:
    """Run every check of ``phrases`` on one channel of a call.

    ``words``: :class:`Word` objects or Vosk output (see :func:`words_from_vosk`).
    ``channel``: "agent", "caller" or "mixed" (a mono recording of both);
    checks run on their own channel and on "mixed".
    ``rubric``: when given, findings name the items whose ``detect:`` is the
    check and ``suggestions`` holds one :class:`Suggestion` per such item.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if phrases is None:
        phrases = load_phrases()
    words = sorted(_as_words(words), key=lambda w: w.start)
    text = _Text(words)
    first_start = words[0].start if words else 0.0
    last_end = words[-1].end if words else 0.0

    items_by_check: dict[str, list[str]] = {}
    if rubric is not None:
        for item in rubric.detect_items():
            assert item.detect is not None
            items_by_check.setdefault(item.detect, []).append(item.id)

    active = {
        name: check
        for name, check in phrases.checks.items()
        if channel == "mixed" or check.channel == channel
    }
    matches = {name: _match_check(text, check) for name, check in active.items()}

    findings: list[Finding] = []
    for name, check in active.items():
        item_ids = tuple(items_by_check.get(name, ()))
        found = matches[name]
        if check.expect == "never":
            findings.extend(Finding(name, HEARD, m, item_ids) for m in found)
            if not found:
                findings.append(Finding(name, CLEAN, None, item_ids))
            continue
        if check.expect == "after":
            assert check.after is not None
            trigger = matches.get(check.after, [])
            if not trigger:
                status = PRESENT if found else NOT_HEARD
                findings.append(Finding(name, status, found[0] if found else None, item_ids))
                continue
            later = [m for m in found if m.start >= trigger[0].end]
            status = PRESENT if later else MISSING
            findings.append(Finding(name, status, later[0] if later else None, item_ids))
            continue
        inside = [m for m in found if _in_window(check, m, first_start, last_end)]
        if inside:
            findings.append(Finding(name, PRESENT, inside[0], item_ids))
        elif found:
            status = OUT_OF_WINDOW if check.expect == "always" else PRESENT
            findings.append(Finding(name, status, found[0], item_ids))
        else:
            findings.append(
                Finding(name, MISSING if check.expect == "always" else NOT_HEARD, None, item_ids)
            )

    suggestions: dict[str, Suggestion] = {}
    if rubric is not None:
        for item in rubric.detect_items():
            relevant = tuple(
                f for f in findings if f.check == item.detect and f.violation is not None
            )
            if not relevant:
                continue
            violations = [f for f in relevant if f.violation]
            times = min(len(violations), item.max_times)
            amount = item.amount or Decimal(0)
            suggestions[item.id] = Suggestion(
                item_id=item.id,
                violated=bool(violations),
                times=times,
                deduction=amount * times,
                findings=relevant,
            )
    return DetectionReport(channel=channel, findings=tuple(findings), suggestions=suggestions)


def _match_check(text: _Text, check: Check) -> list[Match]:
    """Matches of any of the check's phrases, best first where they overlap, in time order."""
    spans = [
        (edits, start, -(end - start), end, pattern.phrase)
        for pattern in check.patterns
        for start, end, edits in match_pattern(text.text, pattern, check.fuzz)
    ]
    spans.sort(key=lambda span: span[:3])
    kept: list[tuple[int, int, int, int, Phrase]] = []
    for span in spans:
        if all(span[3] <= other[1] or span[1] >= other[3] for other in kept):
            kept.append(span)
    kept.sort(key=lambda span: span[1])
    return [text.match(phrase, start, end, edits) for edits, start, _, end, phrase in kept]


def _in_window(check: Check, match: Match, first_start: float, last_end: float) -> bool:
    if check.window_start is not None and match.start - first_start > check.window_start:
        return False
    return check.window_end is None or last_end - match.end <= check.window_end
