"""Transcript checks: find service and forbidden phrases in a recorded call.

Input is a speech-recognition transcript: words with start/end times in
seconds (Vosk's ``result`` lists; for Chinese the "words" may be single
characters or multi-character words). Text is normalised before matching
(NFKC so full width becomes half width, lower case, spaces and punctuation
dropped, digits spelt as Chinese numerals, 您 folded into 你) and every matched
character is mapped back to the word it came from, so each finding carries the
moment in the audio.

The checks and their phrases are data: ``flows/phrases.yaml``. A rubric item
that names a check (``detect: greeting``) receives its suggestion: a phrase
heard or missing suggests keeping or deducting the item. Suggestions are for
the inspector, who listens and decides.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ivr.flows.yamlfile import FlowFileError, Located, LocatedList, load_yaml
from ivr.grading.rubric import ROOT, Label, Rubric

DEFAULT_PHRASES_PATH = ROOT / "flows" / "phrases.yaml"

EXPECTS = ("always", "after", "situational", "never")
CHANNELS = ("agent", "caller", "mixed")
PHRASE_LISTS = ("service_phrases", "forbidden_phrases")

# Finding statuses.
PRESENT = "present"  # an expected phrase was heard (in its window)
MISSING = "missing"  # a required phrase was not heard
OUT_OF_WINDOW = "out_of_window"  # heard, but not where it belongs (e.g. a late greeting)
HEARD = "heard"  # a forbidden phrase was heard (one finding per occurrence)
CLEAN = "clean"  # no forbidden phrase was heard
NOT_HEARD = "not_heard"  # a situational phrase was not heard: no suggestion

MAX_GAP = 12  # characters a placeholder ("XX", "*", "（复述）") may stand for


# --------------------------------------------------------------------------- model


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
    patterns: tuple[_Pattern, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Phrases:
    """The contents of ``flows/phrases.yaml``."""

    service: tuple[Phrase, ...]
    forbidden: tuple[Phrase, ...]
    checks: Mapping[str, Check]
    path: str = ""


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


# --------------------------------------------------------------------------- normalising

_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
_FOLD = str.maketrans({"您": "你", "幺": "一", "〇": "零"})


def normalise(text: str) -> str:
    """Text as matched: no spaces or punctuation, half width, lower case."""
    return "".join(_normal_chars(text))


def _normal_chars(text: str) -> Iterable[str]:
    for char in unicodedata.normalize("NFKC", text).lower():
        if unicodedata.category(char)[0] in "LN":
            yield char.translate(_DIGITS).translate(_FOLD)


# --------------------------------------------------------------------------- patterns

_PLACEHOLDER = re.compile(r"X{2,}|x{2,}|×+|[*＊]|（[^）]*）|\([^)]*\)")


@dataclass(frozen=True)
class _Pattern:
    """A phrase compiled: variants (one per "A/B" choice) of segments split by gaps."""

    phrase: Phrase
    variants: tuple[tuple[str, ...], ...]


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def _compile(phrase: Phrase) -> _Pattern:
    raw_segments = _PLACEHOLDER.split(phrase.zh_CN)
    per_segment: list[list[str]] = [_alternatives(segment) for segment in raw_segments]
    variants: list[tuple[str, ...]] = []
    for combo in itertools.product(*per_segment):
        segments = tuple(s for s in combo if s)
        if segments and segments not in variants:
            variants.append(segments)
    return _Pattern(phrase=phrase, variants=tuple(variants))


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


def _match_pattern(text: str, pattern: _Pattern, fuzz: float) -> list[tuple[int, int, int]]:
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
            for char in _normal_chars(word.text):
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
        text.match(phrase, s, e, k) for s, e, k in _match_pattern(text.text, _compile(phrase), fuzz)
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
        for start, end, edits in _match_pattern(text.text, pattern, check.fuzz)
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


# --------------------------------------------------------------------------- loading

_phrases_cache: dict[tuple[str, int], Phrases] = {}


def load_phrases(path: Path | str = DEFAULT_PHRASES_PATH) -> Phrases:
    """Load and validate a phrase file (cached while the file is unchanged)."""
    path = Path(path)
    try:
        key = (str(path.resolve()), path.stat().st_mtime_ns)
    except OSError as exc:
        raise FlowFileError(path, None, f"cannot read: {exc}") from exc
    if key not in _phrases_cache:
        _phrases_cache[key] = _parse_phrases(load_yaml(path), path)
    return _phrases_cache[key]


def _parse_phrases(doc: Any, path: Path) -> Phrases:
    if not isinstance(doc, Located):
        raise FlowFileError(path, None, "a phrase file must be a mapping")
    _keys(doc, ("service_phrases", "forbidden_phrases", "checks"), ())
    by_id: dict[str, Phrase] = {}
    lists: dict[str, tuple[Phrase, ...]] = {}
    for list_name in PHRASE_LISTS:
        raw = doc[list_name]
        if not isinstance(raw, LocatedList) or not raw:
            raise doc.error(f"{list_name!r} must be a non-empty list", list_name)
        parsed: list[Phrase] = []
        for index, entry in enumerate(raw):
            if not isinstance(entry, Located):
                raise raw.error("a phrase must be a mapping with id, zh-CN and en-US", index)
            optional = ("situation",) if list_name == "service_phrases" else ()
            _keys(entry, ("id", "zh-CN", "en-US"), optional)
            phrase_id = entry["id"]
            if not isinstance(phrase_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_]*", phrase_id):
                raise entry.error(f"id {phrase_id!r} is not a valid id (a-z, 0-9, _)", "id")
            if phrase_id in by_id:
                raise entry.error(f"duplicate phrase id {phrase_id!r}", "id")
            situation = _label(entry, "situation") if "situation" in entry else None
            phrase = _phrase(entry, phrase_id, situation)
            by_id[phrase_id] = phrase
            parsed.append(phrase)
        lists[list_name] = tuple(parsed)

    raw_checks = doc["checks"]
    if not isinstance(raw_checks, Located) or not raw_checks:
        raise doc.error("'checks' must be a mapping of check names", "checks")
    checks: dict[str, Check] = {}
    for name, cm in raw_checks.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise raw_checks.error(f"check name {name!r} is not a valid id (a-z, 0-9, _)", name)
        if not isinstance(cm, Located):
            raise raw_checks.error(f"check {name!r} must be a mapping", name)
        checks[name] = _parse_check(name, cm, by_id, lists)
    for name, check in checks.items():
        if check.after is not None:
            cm = raw_checks[name]
            if check.after not in checks or check.after == name:
                raise cm.error(f"after: {check.after!r} is not another check", "after")
            if checks[check.after].expect == "never":
                raise cm.error(f"after: {check.after!r} is a forbidden-phrase check", "after")
    return Phrases(
        service=lists["service_phrases"],
        forbidden=lists["forbidden_phrases"],
        checks=checks,
        path=str(path),
    )


_CHECK_OPTIONAL = ("after", "window", "fuzz", "channel", "refs", "from", "phrases")


def _parse_check(
    name: str, cm: Located, by_id: Mapping[str, Phrase], lists: Mapping[str, tuple[Phrase, ...]]
) -> Check:
    _keys(cm, ("label", "expect"), _CHECK_OPTIONAL)
    label = _label(cm, "label")
    expect = cm["expect"]
    if expect not in EXPECTS:
        raise cm.error(f"expect must be one of {', '.join(EXPECTS)}, not {expect!r}", "expect")
    after = None
    if expect == "after":
        if "after" not in cm or not isinstance(cm["after"], str):
            raise cm.error("expect: after needs 'after: <check name>'")
        after = cm["after"]
    elif "after" in cm:
        raise cm.error("'after' is only for expect: after", "after")

    window_start = window_end = None
    if "window" in cm:
        window = cm["window"]
        if not isinstance(window, Located) or len(window) != 1:
            raise cm.error("window must be {start: seconds} or {end: seconds}", "window")
        _keys(window, (), ("start", "end"))
        key = next(iter(window))
        seconds = window[key]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise window.error(f"window {key} must be a positive number of seconds", key)
        if key == "start":
            window_start = float(seconds)
        else:
            window_end = float(seconds)

    fuzz = cm.get("fuzz", 0)
    if isinstance(fuzz, bool) or not isinstance(fuzz, int | float) or not 0 <= fuzz < 0.5:
        raise cm.error("fuzz must be a number from 0 up to (not including) 0.5", "fuzz")
    channel = cm.get("channel", "agent")
    if channel not in ("agent", "caller"):
        raise cm.error("channel must be agent or caller", "channel")

    phrases: list[Phrase] = []
    if "from" in cm:
        if cm["from"] not in PHRASE_LISTS:
            raise cm.error(f"from must be one of {', '.join(PHRASE_LISTS)}", "from")
        phrases.extend(lists[cm["from"]])
    if "refs" in cm:
        refs = cm["refs"]
        if not isinstance(refs, LocatedList):
            raise cm.error("refs must be a list of phrase ids", "refs")
        for index, ref in enumerate(refs):
            if ref not in by_id:
                raise refs.error(f"unknown phrase id {ref!r}", index)
            phrases.append(by_id[ref])
    if "phrases" in cm:
        inline = cm["phrases"]
        if not isinstance(inline, LocatedList):
            raise cm.error("phrases must be a list of {zh-CN, en-US}", "phrases")
        for index, entry in enumerate(inline):
            if not isinstance(entry, Located):
                raise inline.error("a phrase must be a mapping with zh-CN and en-US", index)
            _keys(entry, ("zh-CN", "en-US"), ())
            phrases.append(_phrase(entry, None, None))
    if not phrases:
        raise cm.error(f"check {name!r} has no phrases (refs, from or phrases)")
    patterns = []
    for phrase in phrases:
        pattern = _compile(phrase)
        if not pattern.variants:
            raise cm.error(f"phrase {phrase.zh_CN!r} has nothing to match")
        patterns.append(pattern)
    return Check(
        name=name,
        label=label,
        expect=expect,
        phrases=tuple(phrases),
        after=after,
        window_start=window_start,
        window_end=window_end,
        fuzz=float(fuzz),
        channel=channel,
        patterns=tuple(patterns),
    )


def _phrase(entry: Located, phrase_id: str | None, situation: Label | None) -> Phrase:
    texts = {}
    for locale in ("zh-CN", "en-US"):
        text = entry[locale]
        if not isinstance(text, str) or not text.strip():
            raise entry.error(f"{locale} must be a non-empty string", locale)
        texts[locale] = text.strip()
    if not normalise(texts["zh-CN"]):
        raise entry.error("the zh-CN phrase has nothing to match", "zh-CN")
    return Phrase(zh_CN=texts["zh-CN"], en_US=texts["en-US"], id=phrase_id, situation=situation)


def _label(m: Located, key: str) -> Label:
    value = m[key]
    if not isinstance(value, Located):
        raise m.error(f"{key!r} must be a mapping with zh-CN and en-US texts", key)
    _keys(value, ("zh-CN", "en-US"), ())
    for locale in ("zh-CN", "en-US"):
        if not isinstance(value[locale], str) or not value[locale].strip():
            raise value.error(f"{key!r} {locale} must be a non-empty string", locale)
    return Label(zh_CN=value["zh-CN"].strip(), en_US=value["en-US"].strip())


def _keys(m: Located, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    allowed = (*required, *optional)
    for key in m:
        if key not in allowed:
            raise m.error(f"unknown key {key!r} (allowed: {', '.join(allowed)})", key)
    for key in required:
        if key not in m:
            raise m.error(f"missing {key!r}")
