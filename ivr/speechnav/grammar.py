"""What callers may say at a menu, read from flows/hotline.yaml and checked at start.

A menu (or option 9's ``area_code``) node names what each option is called::

    speech:
      prompt: main_menu_speech      # the line added to the menu's prompt
      confirm: always               # or {below: 0.9}: act at once above that confidence
      options:
        "1": {zh-CN: [政策咨询, 语音服务], en-US: [information]}

and ``flows/speech.yaml`` the words that confirm or reject what was heard
(``confirm``/``reject``, per locale; YAML reads a bare ``yes`` as true: quote
it), and ``store_audio`` (default false: no caller's speech is kept). An
option is read back by its first phrase.
Chinese phrases are the model's words separated by spaces where it needs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.flows import FlowBundle
from ivr.flows.yamlfile import FlowFileError, Located, LocatedList, check_keys, load_mapping

SECTION = "speech"  # the node field
WORDS_FILE = "speech.yaml"
CONFIRM_PROMPT = "speech_confirm"  # "您要办理的是{choice}业务，确认请按1或说'是'…"
RETRY_PROMPT = "speech_retry"
PROMPTS = (CONFIRM_PROMPT, RETRY_PROMPT)
CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uac00-\ud7af]) (?=[\u3000-\u9fff\uac00-\ud7af])")
PHRASE = re.compile(r"[^\s\[\]\"']+(?: [^\s\[\]\"']+)*")


def normalise(text: str) -> str:
    return " ".join(text.split())


def heard_as(text: str) -> str:
    """A recognised text or a phrase, compared without [unk] nor the gaps between Chinese words."""
    return spoken_name(normalise(text.replace("[unk]", "")))


def spoken_name(phrase: str) -> str:
    """How a phrase is read back: Chinese words joined again (养老 保险 -> 养老保险)."""
    return CJK_GAP.sub("", phrase)


@dataclass(frozen=True)
class Confirm:
    """Read back what was heard unless its confidence is at least ``below``."""

    below: float | None = None  # None: always

    def needed(self, confidence: float) -> bool:
        return self.below is None or confidence < self.below


@dataclass(frozen=True)
class MenuSpeech:
    node: str
    prompt: str
    confirm: Confirm
    phrases: dict[str, dict[str, str]]  # locale -> phrase -> option key
    names: dict[str, dict[str, str]]  # locale -> option key -> how it is read back
    lines: dict[tuple[str, str], int]  # (locale, phrase) -> its line in path
    path: str = ""

    def locales(self) -> set[str]:
        return set(self.phrases)

    def option_for(self, locale: str, text: str) -> str | None:
        """The option a recognised text names: one of its phrases, nothing more or less."""
        wanted = heard_as(text)
        for phrase, option in self.phrases.get(locale, {}).items():
            if heard_as(phrase) == wanted:
                return option
        return None


@dataclass(frozen=True)
class SpeechFlows:
    menus: dict[str, MenuSpeech]
    yes: dict[str, list[str]]  # locale -> phrases
    no: dict[str, list[str]]
    store_audio: bool = False  # keep what callers said (WAV under the recordings store)

    def grammar(self, node: str, locale: str, kind: str) -> list[str]:
        """The phrases a stream listens for: the menu's, or the confirm words."""
        if kind == "confirm":
            return [*self.yes.get(locale, []), *self.no.get(locale, [])]
        return list(self.menus[node].phrases.get(locale, {}))

    def answer(self, locale: str, text: str) -> bool | None:
        """Yes, no, or None (neither) for a recognised text at the confirm step."""
        wanted = heard_as(text)
        if any(heard_as(p) == wanted for p in self.yes.get(locale, [])):
            return True
        if any(heard_as(p) == wanted for p in self.no.get(locale, [])):
            return False
        return None

    def offers(self, node: str, locale: str) -> bool:
        menu = self.menus.get(node)
        return menu is not None and locale in menu.phrases and locale in self.yes

    def words(self) -> dict[str, list[tuple[str, str, int]]]:
        """locale -> (word, file, line) for every word a grammar uses, to check against models."""
        out: dict[str, list[tuple[str, str, int]]] = {}
        for menu in self.menus.values():
            for locale, phrases in menu.phrases.items():
                for phrase in phrases:
                    line = menu.lines[(locale, phrase)]
                    out.setdefault(locale, []).extend(
                        (word, menu.path, line) for word in phrase.split()
                    )
        return out


def _phrases(value: Any, where: Located, key: Any, locales: set[str]) -> dict[str, list[str]]:
    if not isinstance(value, Located) or not value:
        raise where.error(f"{key}: expected locale: [phrases]", key)
    out: dict[str, list[str]] = {}
    for locale, phrases in value.items():
        if locale not in locales:
            raise value.error(f"{key}: unknown locale {locale!r}", locale)
        if not isinstance(phrases, LocatedList) or not phrases:
            raise value.error(f"{key}: {locale}: expected a list of phrases", locale)
        for index, phrase in enumerate(phrases):
            if not isinstance(phrase, str) or not PHRASE.fullmatch(normalise(phrase)):
                hint = " (quote yes, no, on and off)" if isinstance(phrase, bool) else ""
                raise phrases.error(f"{key}: {locale}: phrase {phrase!r} is not words{hint}", index)
        out[str(locale)] = [normalise(p) for p in phrases]
    return out


def _confirm(value: Any, spec: Located) -> Confirm:
    if value == "always":
        return Confirm()
    if isinstance(value, Located) and set(value) == {"below"}:
        below = value["below"]
        if isinstance(below, (int, float)) and not isinstance(below, bool) and 0 < below <= 1:
            return Confirm(float(below))
    raise spec.error("speech: confirm: expected always or {below: a confidence 0-1}", "confirm")


def _menu(bundle: FlowBundle, node_id: str, spec: Located, locales: set[str]) -> MenuSpeech:
    node = bundle.nodes[node_id]
    for key in spec:
        if key not in ("prompt", "confirm", "options"):
            raise spec.error(f"speech: unknown field {key!r} (prompt, confirm, options)", key)
    prompt = spec.get("prompt")
    if prompt not in bundle.prompts.by_locale[bundle.default_locale]:
        raise spec.error(f"speech: prompt names unknown prompt {prompt!r}", "prompt")
    options = spec.get("options")
    if not isinstance(options, Located) or not options:
        raise spec.error("speech: options: expected option: {locale: [phrases]}", "options")
    phrases: dict[str, dict[str, str]] = {}
    names: dict[str, dict[str, str]] = {}
    lines: dict[tuple[str, str], int] = {}
    for option, value in options.items():
        key = str(option)
        if node.type == "area_code":
            if bundle.directory.by_code(key) is None:
                raise options.error(f"speech: {key}: no centre option 9 can dial", option)
        elif key not in node["options"]:
            raise options.error(f"speech: option {key!r} is not one of the menu's", option)
        for locale, listed in _phrases(value, options, key, locales).items():
            names.setdefault(locale, {})[key] = spoken_name(listed[0])
            for phrase in listed:
                lines[(locale, phrase)] = value.line_of(locale)
                other = phrases.setdefault(locale, {}).setdefault(phrase, key)
                if other != key:
                    raise value.error(f"speech: {phrase!r} names options {other} and {key}", locale)
    return MenuSpeech(
        node_id,
        prompt,
        _confirm(spec.get("confirm", "always"), spec),
        phrases,
        names,
        lines,
        path=spec.path,
    )


def load(bundle: FlowBundle) -> SpeechFlows:
    """Every node's ``speech`` and the confirm words; FlowFileError names file and line."""
    locales = set(bundle.prompts.by_locale)
    menus = {}
    for node in bundle.nodes.values():
        spec = node.fields.get(SECTION)
        if spec is not None:
            menus[node.id] = _menu(bundle, node.id, spec, locales)
    path = bundle.source / WORDS_FILE
    if menus and not path.exists():
        raise FlowFileError(path, None, f"missing: node {next(iter(menus))!r} takes speech")
    yes: dict[str, list[str]] = {}
    no: dict[str, list[str]] = {}
    store_audio = False
    if path.exists():
        words = load_mapping(path, "expected {confirm: {locale: [phrases]}, reject: ...}")
        check_keys(words, required=("confirm", "reject"), optional=("store_audio",))
        store_audio = words.get("store_audio", False)
        if not isinstance(store_audio, bool):
            raise words.error("store_audio: expected true or false", "store_audio")
        yes = _phrases(words["confirm"], words, "confirm", locales)
        no = _phrases(words["reject"], words, "reject", locales)
        for locale in sorted(set(yes) ^ set(no)):
            raise words.error(f"{locale} needs both confirm and reject words")
    for prompt_id in PROMPTS if menus else ():
        if prompt_id not in bundle.prompts.by_locale[bundle.default_locale]:
            raise FlowFileError(
                bundle.source / "prompts" / f"{bundle.default_locale}.yaml",
                None,
                f"prompt {prompt_id!r} is required by speech menus",
            )
    return SpeechFlows(menus, yes, no, store_audio)


def word_list(model_dir: Path) -> set[str] | None:
    """The words a model can recognise, where it ships a list (big models do)."""
    for path in (model_dir / "graph" / "words.txt", model_dir / "words.txt"):
        if path.is_file():
            with path.open(encoding="utf-8") as lines:
                return {line.split()[0] for line in lines if line.strip()}
    return None


def unknown_words(flows: SpeechFlows, models: dict[str, Path]) -> list[str]:
    """``file:line: reason`` for each grammar word a locale's model does not know."""
    warnings = []
    for locale, words in flows.words().items():
        model = models.get(locale)
        known = word_list(model) if model is not None else None
        if known is None:
            continue
        for word, path, line in words:
            if word not in known:
                warnings.append(f"{path}:{line}: speech: {locale} model has no word {word!r}")
    return list(dict.fromkeys(warnings))
