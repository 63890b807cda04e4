"""Reading the phrase file, ``flows/phrases.yaml``, into :mod:`ivr.grading.phrases` classes.

The file lists the service phrases and forbidden phrases of the centre's
standard and the checks run on every transcript. Every problem is raised as
:class:`~ivr.flows.yamlfile.FlowFileError` whose ``str()`` reads ``file:line: reason``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from ivr.flows.yamlfile import (
    FlowFileError,
    Located,
    LocatedList,
    check_keys,
    identifier,
    load_mapping,
    locale_texts,
    mapping_at,
    non_empty_list,
    one_of,
    text,
)
from ivr.grading.phrases import (
    EXPECTS,
    PHRASE_LISTS,
    Check,
    Phrase,
    Phrases,
    compile_phrase,
    normalise,
)
from ivr.grading.rubric import LOCALES, Label

PHRASES_FILE = "phrases.yaml"
DEFAULT_PHRASES_PATH = Path(__file__).resolve().parent.parent.parent / "flows" / PHRASES_FILE

_PHRASE_ID = re.compile(r"[a-z0-9][a-z0-9_]*")
_CHECK_NAME = re.compile(r"[a-z][a-z0-9_]*")
_CHECK_OPTIONAL = ("after", "window", "fuzz", "channel", "refs", "from", "phrases")

_phrases_cache: dict[tuple[str, int], Phrases] = {}


def load_phrases(path: Path | str = DEFAULT_PHRASES_PATH) -> Phrases:
    """Load and validate a phrase file (cached while the file is unchanged)."""
    path = Path(path)
    try:
        key = (str(path.resolve()), path.stat().st_mtime_ns)
    except OSError as exc:
        raise FlowFileError(path, None, f"cannot read: {exc}") from exc
    if key not in _phrases_cache:
        doc = load_mapping(path, "a phrase file must be a mapping")
        _phrases_cache[key] = _parse_phrases(doc, path)
    return _phrases_cache[key]


def _parse_phrases(doc: Located, path: Path) -> Phrases:
    check_keys(doc, required=("service_phrases", "forbidden_phrases", "checks"))
    by_id: dict[str, Phrase] = {}
    lists: dict[str, tuple[Phrase, ...]] = {}
    for list_name in PHRASE_LISTS:
        raw = non_empty_list(doc, list_name)
        parsed: list[Phrase] = []
        for index in range(len(raw)):
            entry = mapping_at(raw, index, "a phrase must be a mapping with id, zh-CN and en-US")
            optional = ("situation",) if list_name == "service_phrases" else ()
            check_keys(entry, required=("id", *LOCALES), optional=optional)
            phrase_id = identifier(entry, "id", _PHRASE_ID, "a-z, 0-9, _")
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
        if not isinstance(name, str) or not _CHECK_NAME.fullmatch(name):
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


def _parse_check(
    name: str, cm: Located, by_id: Mapping[str, Phrase], lists: Mapping[str, tuple[Phrase, ...]]
) -> Check:
    check_keys(cm, required=("label", "expect"), optional=_CHECK_OPTIONAL)
    label = _label(cm, "label")
    expect = one_of(cm, "expect", EXPECTS)
    after = None
    if expect == "after":
        if "after" not in cm or not isinstance(cm["after"], str):
            raise cm.error("expect: after needs 'after: <check name>'")
        after = cm["after"]
    elif "after" in cm:
        raise cm.error("'after' is only for expect: after", "after")
    window_start, window_end = _window(cm) if "window" in cm else (None, None)

    fuzz = cm.get("fuzz", 0)
    if isinstance(fuzz, bool) or not isinstance(fuzz, int | float) or not 0 <= fuzz < 0.5:
        raise cm.error("fuzz must be a number from 0 up to (not including) 0.5", "fuzz")
    channel = cm.get("channel", "agent")
    if channel not in ("agent", "caller"):
        raise cm.error("channel must be agent or caller", "channel")

    phrases = _check_phrases(name, cm, by_id, lists)
    patterns = []
    for phrase in phrases:
        pattern = compile_phrase(phrase)
        if not pattern.variants:
            raise cm.error(f"phrase {phrase.zh_CN!r} has nothing to match")
        patterns.append(pattern)
    return Check(
        name=name,
        label=label,
        expect=expect,
        phrases=phrases,
        after=after,
        window_start=window_start,
        window_end=window_end,
        fuzz=float(fuzz),
        channel=channel,
        patterns=tuple(patterns),
    )


def _window(cm: Located) -> tuple[float | None, float | None]:
    """``window: {start: s}`` or ``{end: s}`` as (window_start, window_end)."""
    window = cm["window"]
    if not isinstance(window, Located) or len(window) != 1:
        raise cm.error("window must be {start: seconds} or {end: seconds}", "window")
    check_keys(window, optional=("start", "end"))
    key = next(iter(window))
    seconds = window[key]
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise window.error(f"window {key} must be a positive number of seconds", key)
    return (float(seconds), None) if key == "start" else (None, float(seconds))


def _check_phrases(
    name: str, cm: Located, by_id: Mapping[str, Phrase], lists: Mapping[str, tuple[Phrase, ...]]
) -> tuple[Phrase, ...]:
    """A check's phrases: a whole list (``from``), ids (``refs``) and its own (``phrases``)."""
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
        for index in range(len(inline)):
            entry = mapping_at(inline, index, "a phrase must be a mapping with zh-CN and en-US")
            check_keys(entry, required=LOCALES)
            phrases.append(_phrase(entry, None, None))
    if not phrases:
        raise cm.error(f"check {name!r} has no phrases (refs, from or phrases)")
    return tuple(phrases)


def _phrase(entry: Located, phrase_id: str | None, situation: Label | None) -> Phrase:
    texts = {locale: text(entry, locale) for locale in LOCALES}
    if not normalise(texts["zh-CN"]):
        raise entry.error("the zh-CN phrase has nothing to match", "zh-CN")
    return Phrase(zh_CN=texts["zh-CN"], en_US=texts["en-US"], id=phrase_id, situation=situation)


def _label(m: Located, key: str) -> Label:
    return Label.of(locale_texts(m, key, LOCALES))


__all__ = ["DEFAULT_PHRASES_PATH", "PHRASES_FILE", "load_phrases"]
