"""Phrases and how they are matched in a transcript.

A phrase is written as the centre's service standard writes it: placeholders
("XX", "*", "（复述）") stand for a few words, "A/B" offers alternatives. Text is
normalised before matching (NFKC so full width becomes half width, lower case,
spaces and punctuation dropped, digits spelt as Chinese numerals, 您 folded into
你), and a check may allow a few edits (``fuzz``) for recognition errors.
:mod:`ivr.grading.phrases_file` reads ``flows/phrases.yaml`` into these classes;
:mod:`ivr.grading.detect` runs the checks on a call.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ivr.grading.rubric import Label

EXPECTS = ("always", "after", "situational", "never")
PHRASE_LISTS = ("service_phrases", "forbidden_phrases")
MAX_GAP = 12  # characters a placeholder ("XX", "*", "（复述）") may stand for


@dataclass(frozen=True)
class Phrase:
    """A phrase in both locales; ``id`` is set for the two named lists."""

    zh_CN: str
    en_US: str
    id: str | None = None
    situation: Label | None = None


@dataclass(frozen=True)
class Check:
    name: str
    label: Label
    expect: str  # always | after | situational | never
    phrases: tuple[Phrase, ...]
    after: str | None = None
    window_start: float | None = None  # must start within this many s of the first word
    window_end: float | None = None  # must end within this many s of the last word
    fuzz: float = 0.0
    channel: str = "agent"
    patterns: tuple[Pattern, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Phrases:
    """The contents of ``flows/phrases.yaml``."""

    service: tuple[Phrase, ...]
    forbidden: tuple[Phrase, ...]
    checks: Mapping[str, Check]
    path: str = ""


# --------------------------------------------------------------------------- normalising

_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
_FOLD = str.maketrans({"您": "你", "幺": "一", "〇": "零"})


def normalise(text: str) -> str:
    """Text as matched: no spaces or punctuation, half width, lower case."""
    return "".join(normal_chars(text))


def normal_chars(text: str) -> Iterable[str]:
    for char in unicodedata.normalize("NFKC", text).lower():
        if unicodedata.category(char)[0] in "LN":
            yield char.translate(_DIGITS).translate(_FOLD)


# --------------------------------------------------------------------------- patterns

_PLACEHOLDER = re.compile(r"X{2,}|x{2,}|×+|[*＊]|（[^）]*）|\([^)]*\)")


@dataclass(frozen=True)
class Pattern:
    """A phrase compiled: variants (one per "A/B" choice) of segments split by gaps."""

    phrase: Phrase
    variants: tuple[tuple[str, ...], ...]


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def compile_phrase(phrase: Phrase) -> Pattern:
    raw_segments = _PLACEHOLDER.split(phrase.zh_CN)
    per_segment: list[list[str]] = [_alternatives(segment) for segment in raw_segments]
    variants: list[tuple[str, ...]] = []
    for combo in itertools.product(*per_segment):
        segments = tuple(s for s in combo if s)
        if segments and segments not in variants:
            variants.append(segments)
    return Pattern(phrase=phrase, variants=tuple(variants))


def _alternatives(segment: str) -> list[str]:
    """Normalised spellings of a segment: "先生/女士，对不起" gives 先生对不起, 女士对不起.

    The words either side of a "/" run to the nearest punctuation; the shorter
    run sets how many characters each alternative has.
    """
    pieces = segment.split("/")
    if len(pieces) == 1:
        return [normalise(segment)]
    first, last = normalise(pieces[0]), normalise(pieces[-1])
    middles = [normalise(p) for p in pieces[1:-1]]
    runs = [_run(pieces[0], from_end=True), *middles, _run(pieces[-1], from_end=False)]
    length = min(len(r) for r in runs)
    if length == 0:
        return [first + "".join(middles) + last]
    prefix, suffix = first[: len(first) - length], last[length:]
    options = [first[len(first) - length :], *middles, last[:length]]
    return [prefix + option + suffix for option in dict.fromkeys(options)]


def _run(text: str, *, from_end: bool) -> str:
    """The word characters next to a "/" up to the nearest punctuation."""
    chars = reversed(text) if from_end else iter(text)
    run = "".join(itertools.takewhile(_is_word_char, chars))
    return normalise(run[::-1] if from_end else run)


def _allowed_edits(segment: str, fuzz: float) -> int:
    return math.floor(len(segment) * fuzz + 1e-9)


def _approx_find(text: str, pat: str, k: int, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """Non-overlapping (start, end, edits) of ``pat`` in ``text[lo:hi]`` with <= k edits."""
    found: list[tuple[int, int, int]] = []
    if not pat or hi - lo <= 0:
        return found
    if k == 0:
        pos = text.find(pat, lo, hi)
        while pos != -1:
            found.append((pos, pos + len(pat), 0))
            pos = text.find(pat, pos + len(pat), hi)
        return found
    # Pigeonhole: with k edits one of k+1 pieces of the pattern occurs exactly.
    m = len(pat)
    size = max(1, m // (k + 1))
    windows: list[tuple[int, int]] = []
    for offset in range(0, m, size):
        piece = pat[offset : offset + size]
        pos = text.find(piece, lo, hi)
        while pos != -1:
            windows.append((max(lo, pos - offset - k), min(hi, pos - offset + m + k)))
            pos = text.find(piece, pos + 1, hi)
    windows.sort()
    merged: list[list[int]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    candidates: list[tuple[int, int, int]] = []
    for start, end in merged:
        candidates.extend(_sellers(text, pat, k, start, end))
    candidates.sort(key=lambda c: (c[2], c[0], c[1] - c[0]))
    for cand in candidates:
        if all(cand[1] <= s or cand[0] >= e for s, e, _ in found):
            found.append(cand)
    found.sort()
    return found


def _sellers(text: str, pat: str, k: int, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """Approximate substring matches ending anywhere in text[lo:hi] (edit distance <= k)."""
    m = len(pat)
    cost = list(range(m + 1))
    start = [lo] * (m + 1)
    out: list[tuple[int, int, int]] = []
    for j in range(lo, hi):
        char = text[j]
        new_cost = [0] * (m + 1)
        new_start = [j + 1] * (m + 1)  # an empty prefix starts after text[j]
        for i in range(1, m + 1):
            best, best_start = cost[i - 1] + (pat[i - 1] != char), start[i - 1]
            if cost[i] + 1 < best:
                best, best_start = cost[i] + 1, start[i]
            if new_cost[i - 1] + 1 < best:
                best, best_start = new_cost[i - 1] + 1, new_start[i - 1]
            new_cost[i], new_start[i] = best, best_start
        cost, start = new_cost, new_start
        if cost[m] <= k:
            out.append((start[m], j + 1, cost[m]))
    return out


def match_pattern(text: str, pattern: Pattern, fuzz: float) -> list[tuple[int, int, int]]:
    spans: list[tuple[int, int, int]] = []
    for segments in pattern.variants:
        first = segments[0]
        for start, end, edits in _approx_find(
            text, first, _allowed_edits(first, fuzz), 0, len(text)
        ):
            total = edits
            for segment in segments[1:]:
                k = _allowed_edits(segment, fuzz)
                nxt = _approx_find(
                    text, segment, k, end, min(len(text), end + MAX_GAP + len(segment) + k)
                )
                nxt = [n for n in nxt if n[0] - end <= MAX_GAP]
                if not nxt:
                    break
                _, end, extra = min(nxt, key=lambda n: (n[2], n[0]))
                total += extra
            else:
                spans.append((start, end, total))
    # Keep the best of overlapping spans (several variants may match one place).
    spans.sort(key=lambda s: (s[2], s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, int]] = []
    for span in spans:
        if all(span[1] <= s or span[0] >= e for s, e, _ in kept):
            kept.append(span)
    kept.sort()
    return kept
