"""Transcript checks on synthetic Vosk-like word lists."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ivr.flows.yamlfile import FlowFileError
from ivr.grading import (
    Rubric,
    Word,
    detect,
    find_phrase,
    load_phrases,
    normalise,
    score_call,
    words_from_vosk,
)
from ivr.grading.detect import (
    CLEAN,
    HEARD,
    MISSING,
    NOT_HEARD,
    OUT_OF_WINDOW,
    PRESENT,
    Phrases,
)

from .conftest import line_of


def say(start: float, text: str, step: float = 0.3) -> list[Word]:
    """Space-separated tokens, one every ``step`` seconds from ``start``."""
    return [
        Word(token, round(start + i * step, 2), round(start + i * step + step - 0.05, 2))
        for i, token in enumerate(text.split())
    ]


GREETING = "您好 很 高兴 为 您 服务"
CLOSING = "感谢 您 的 来电 ， 再见"


def call(*parts: list[Word]) -> list[Word]:
    return [word for part in parts for word in part]


@pytest.fixture
def typical_call() -> list[Word]:
    return call(
        say(0.5, GREETING),
        say(3.0, "请问 您 要 咨询 什么 问题"),
        say(12.3, "这个 嘛 我 不 知道 啊"),
        say(20.0, "先生 对不起 请 您 稍等 片刻 我 立即 帮 您 查询 好 吗"),
        say(65.0, "对不起 让 您 久 等 了"),
        say(70.0, "养老 保险 要 缴费 满 十五 年"),
        say(90.0, CLOSING),
    )


def finding(report, check: str):
    found = report.for_check(check)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- findings


def test_typical_call(monthly: Rubric, typical_call: list[Word]) -> None:
    report = detect(typical_call, rubric=monthly)

    greeting = finding(report, "greeting")
    assert greeting.status == PRESENT
    assert greeting.start == 0.5
    assert greeting.match is not None
    assert greeting.match.heard == GREETING
    assert greeting.match.phrase.zh_CN == "您好，很高兴为您服务。"
    assert greeting.item_ids == ("greeting",)

    closing = finding(report, "closing")
    assert closing.status == PRESENT
    assert closing.start == 90.0
    assert closing.match is not None and closing.match.phrase.zh_CN == "感谢您的来电，再见。"

    forbidden = finding(report, "forbidden_phrase")
    assert forbidden.status == HEARD
    assert forbidden.start == pytest.approx(12.9)  # "我" is the third token from 12.3
    assert forbidden.match is not None
    assert forbidden.match.heard == "我 不 知道"
    assert forbidden.match.phrase.id == "dont_know"
    assert forbidden.item_ids == ("forbidden_phrase",)

    assert finding(report, "hold_ask").status == PRESENT
    assert finding(report, "hold_ask").start == 20.0
    assert finding(report, "hold_return").status == PRESENT
    assert finding(report, "hold_return").start == 65.0
    assert finding(report, "transfer_consent").status == NOT_HEARD

    suggestions = report.suggestions
    assert suggestions["greeting"].violated is False
    assert suggestions["closing"].violated is False
    assert suggestions["hold_ask"].violated is False
    assert suggestions["forbidden_phrase"].violated is True
    assert suggestions["forbidden_phrase"].deduction == Decimal(3)
    assert suggestions["forbidden_phrase"].findings[0].start == pytest.approx(12.9)
    assert "transfer_consent" not in suggestions  # situational, not heard: no suggestion

    # The suggestions pre-fill a recording's entries.
    entries = report.entries()
    assert entries["forbidden_phrase"] is True and entries["greeting"] is False
    assert score_call(monthly, entries).sections["service"].score == 27


def test_missing_greeting_suggests_the_deduction(monthly: Rubric) -> None:
    report = detect(call(say(1.0, "喂 你 说"), say(30.0, CLOSING)), rubric=monthly)
    greeting = finding(report, "greeting")
    assert greeting.status == MISSING
    assert greeting.start is None and greeting.match is None
    suggestion = report.suggestions["greeting"]
    assert suggestion.violated and suggestion.deduction == Decimal("0.5")
    assert finding(report, "forbidden_phrase").status == CLEAN
    assert report.suggestions["forbidden_phrase"].violated is False


def test_late_greeting_is_out_of_window(monthly: Rubric) -> None:
    report = detect(call(say(0.0, "喂"), say(45.0, GREETING), say(60.0, CLOSING)), rubric=monthly)
    greeting = finding(report, "greeting")
    assert greeting.status == OUT_OF_WINDOW
    assert greeting.start == 45.0
    assert report.suggestions["greeting"].violated


def test_closing_must_be_near_the_end(monthly: Rubric) -> None:
    words = call(say(0.0, GREETING), say(5.0, CLOSING), say(100.0, "养老 保险"))
    assert finding(detect(words, rubric=monthly), "closing").status == OUT_OF_WINDOW


def test_single_character_tokens_and_other_closings(monthly: Rubric) -> None:
    words = call(
        say(2.0, "您 好 ， 很 高 兴 为 您 服 务 。"), say(40.0, "很 高兴 能 为 您 服务 再见")
    )
    report = detect(words, rubric=monthly)
    assert finding(report, "greeting").start == 2.0
    closing = finding(report, "closing")
    assert closing.status == PRESENT
    assert closing.match is not None and closing.match.phrase.id == "closing_glad"


def test_every_forbidden_occurrence_is_reported(monthly: Rubric) -> None:
    words = call(
        say(0.0, GREETING),
        say(10.0, "你 有 完 没 完"),
        say(20.0, "这 不 归 我 管"),
        say(30.0, "你 有完没完"),
        say(40.0, CLOSING),
    )
    report = detect(words, rubric=monthly)
    heard = report.for_check("forbidden_phrase")
    assert [(f.status, f.start, f.match.phrase.id) for f in heard if f.match] == [
        (HEARD, 10.0, "never_ending"),
        (HEARD, 20.0, "not_my_job"),
        (HEARD, 30.0, "never_ending"),
    ]
    suggestion = report.suggestions["forbidden_phrase"]
    assert suggestion.times == 1  # a check item is deducted once (max_times 1)
    assert suggestion.deduction == 3
    assert len(suggestion.findings) == 3


def test_normalisation_width_punctuation_digits() -> None:
    assert normalise("您好，很高兴为您服务。") == "你好很高兴为你服务"
    assert normalise("“12333”") == normalise("１２３３３") == "一二三三三"
    assert normalise("Ｅｍａｉｌ, OK!") == "emailok"
    words = say(5.0, "如果 您 还有 其他 问题 ， 欢迎 您 致电 １２３３３ 。")
    assert finding(detect(words), "callback_closing").status == PRESENT
    words = say(5.0, "如果 你 还有 其他 问题 欢迎 你 致电 一 二 三 三 三")
    assert finding(detect(words), "callback_closing").start == 5.0


def test_placeholders_and_alternatives() -> None:
    words = call(
        say(3.0, "请 您 不要 挂机 我 现在 将 您 的 电话 转给 三十二 号 咨询员"),
        say(20.0, "请问 您 是 王 女士 吗"),
    )
    report = detect(words)
    transfer = finding(report, "transfer_consent")
    assert transfer.status == PRESENT and transfer.start == 3.0
    assert transfer.match is not None and transfer.match.heard.endswith("三十二 号 咨询员")
    identity = finding(report, "callback_identity")
    assert identity.status == PRESENT and identity.start == 20.0


def test_fuzzy_match_tolerates_a_misheard_character() -> None:
    matches = find_phrase(say(1.0, "您好 很 高兴 为 您 服物"), "您好，很高兴为您服务。", fuzz=0.15)
    assert len(matches) == 1 and matches[0].edits == 1 and matches[0].start == 1.0
    assert find_phrase(say(1.0, "我 不 知到"), "我不知道") == []


def test_hold_without_return(monthly: Rubric) -> None:
    words = call(
        say(0.0, GREETING),
        say(10.0, "对不起 请 您 稍等 我 给 您 查阅 资料"),
        say(50.0, "好 的 养老 保险 是 这样"),
        say(60.0, CLOSING),
    )
    report = detect(words, rubric=monthly)
    assert finding(report, "hold_ask").status == PRESENT
    assert finding(report, "hold_return").status == MISSING
    assert report.suggestions["hold_return"].violated


def test_channels() -> None:
    words = say(0.0, "我 不 知道")
    assert detect(words, channel="caller").findings == ()
    assert finding(detect(words, channel="mixed"), "forbidden_phrase").status == HEARD
    with pytest.raises(ValueError, match="channel"):
        detect(words, channel="left")


def test_empty_transcript(monthly: Rubric) -> None:
    report = detect([], rubric=monthly)
    assert finding(report, "greeting").status == MISSING
    assert finding(report, "forbidden_phrase").status == CLEAN


def test_vosk_output_is_accepted() -> None:
    results = [
        json.dumps(
            {
                "result": [
                    {"conf": 1.0, "start": 0.42, "end": 0.9, "word": "您好"},
                    {"conf": 0.98, "start": 0.9, "end": 1.2, "word": "很"},
                    {"conf": 1.0, "start": 1.2, "end": 1.6, "word": "高兴"},
                    {"conf": 1.0, "start": 1.6, "end": 1.8, "word": "为"},
                    {"conf": 1.0, "start": 1.8, "end": 2.0, "word": "您"},
                    {"conf": 1.0, "start": 2.0, "end": 2.5, "word": "服务"},
                ],
                "text": "您好 很 高兴 为 您 服务",
            }
        ),
        {"text": ""},
    ]
    words = words_from_vosk(results)
    assert len(words) == 6 and words[0] == Word("您好", 0.42, 0.9, 1.0)
    report = detect(results)
    greeting = finding(report, "greeting")
    assert greeting.status == PRESENT and greeting.start == 0.42
    assert greeting.match is not None and greeting.match.end == 2.5


# --------------------------------------------------------------------------- the phrase file


def test_phrase_file_has_the_spec_lists(phrases: Phrases) -> None:
    forbidden = [p.zh_CN for p in phrases.forbidden]
    assert forbidden == [
        "我不知道",
        "我也不清楚",
        "你问别的部门吧",
        "你不要再说了，听我讲",
        "你快讲，不要再罗嗦了",
        "我已经跟你讲了很长时间了，我要挂电话了",
        "这个问题不在我们咨询的范围内",
        "我已经给你讲得很清楚了，可以了吗",
        "你刚才说的什么，我没听清",
        "你怎么还听不懂",
        "这不归我管",
        "你讲什么我不懂",
        "不是告诉你了吗",
        "你有完没完",
        "有意见找领导去",
        "急什么？等一下",
        "我怎么知道什么时候办好",
        "没看我一直在忙吗",
        "你去问别人",
    ]
    service = {p.id: p.zh_CN for p in phrases.service}
    assert service["answer"] == "您好，很高兴为您服务。"
    assert service["transfer"] == "请稍等，我将您的电话转接给XX，他将继续为您服务。"
    assert service["account_query"] == "请报您的个人编号（复述），核对姓名，请稍等。"
    assert {service[k] for k in service if k.startswith("closing_")} == {
        "请问您还有其他的问题吗？不客气，再见。",
        "感谢您的来电，再见。",
        "欢迎您再次使用“12333”热线服务，谢谢。",
        "很高兴能为您服务，再见。",
    }
    assert all(p.en_US for p in (*phrases.service, *phrases.forbidden))
    assert phrases.checks["forbidden_phrase"].phrases == phrases.forbidden


def test_every_phrase_is_found_in_its_own_words(phrases: Phrases) -> None:
    """Each check finds each of its phrases read out exactly (placeholders filled)."""
    for check in phrases.checks.values():
        for phrase in check.phrases:
            spoken = (
                phrase.zh_CN.replace("XX", "小王")
                .replace("*", "三")
                .replace("（复述）", "一二三")
                .replace("先生/女士", "先生")
                .replace("很小/杂音很大", "很小")
            )
            words = say(0.0, " ".join(spoken))
            found = [f for f in detect(words, channel="agent").for_check(check.name) if f.match]
            assert found, (check.name, phrase.zh_CN)


PHRASES = """\
service_phrases:
  - {id: answer, zh-CN: 您好，很高兴为您服务。, en-US: Hello}
forbidden_phrases:
  - {id: dont_know, zh-CN: 我不知道, en-US: I don't know}
checks:
  greeting:
    label: {zh-CN: 欢迎词, en-US: Greeting}
    expect: always
    refs: [answer]
  back:
    label: {zh-CN: 恢复通话, en-US: Back}
    expect: after
    after: greeting
    phrases:
      - {zh-CN: 对不起，让您久等了。, en-US: Sorry to keep you waiting}
"""


@pytest.mark.parametrize(
    ("old", "new", "needle", "reason"),
    [
        ("refs: [answer]", "refs: [answr]", "refs: [answr]", "unknown phrase id 'answr'"),
        ("expect: always", "expect: sometimes", "expect: sometimes", "expect must be one of"),
        ("after: greeting", "after: nothing", "after: nothing", "is not another check"),
        ("    refs: [answer]\n", "    refs: [answer]\n    colour: red\n", "colour", "unknown key"),
        (
            "{zh-CN: 欢迎词, en-US: Greeting}",
            "{zh-CN: 欢迎词}",
            "{zh-CN: 欢迎词}",
            "'label' has no text for locale en-US",
        ),
        (
            "id: dont_know",
            "id: answer",
            "id: answer, zh-CN: 我不知道",
            "duplicate phrase id 'answer'",
        ),
        ("    expect: always\n", "    expect: always\n    fuzz: 0.9\n", "fuzz", "fuzz must be"),
    ],
)
def test_phrase_file_errors_name_file_and_line(tmp_path, old, new, needle, reason) -> None:
    assert old in PHRASES
    text = PHRASES.replace(old, new, 1)
    path = tmp_path / "phrases.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlowFileError) as caught:
        load_phrases(path)
    assert reason in caught.value.reason, str(caught.value)
    assert caught.value.line == line_of(text, needle), str(caught.value)
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")
