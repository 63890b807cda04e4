"""Audio conversion: Twilio WAV, MP3 and dual-channel recordings to 16 kHz mono PCM."""

from __future__ import annotations

import array
import shutil
from pathlib import Path

import pytest

from ivr.speech.audio import AudioError, load_audio


def _rms(pcm: bytes) -> float:
    samples = array.array("h", pcm)
    if not samples:
        return 0.0
    return (sum(s * s for s in samples) / len(samples)) ** 0.5


def test_twilio_mono_wav_is_upsampled_to_16k(data_dir: Path) -> None:
    (track,) = load_audio(data_dir / "ko_caller_8k.wav")
    assert track.label == "mono"
    assert track.sample_rate == 16000
    assert track.duration == pytest.approx(5.42, abs=0.02)
    assert len(track.pcm) == 2 * track.frame_count
    assert track.frame_count == pytest.approx(16000 * track.duration, abs=1)
    assert _rms(track.pcm) > 500


def test_mp3_is_decoded_with_ffmpeg(data_dir: Path) -> None:
    (track,) = load_audio(data_dir / "ko_caller.mp3")
    assert track.label == "mono"
    assert track.sample_rate == 16000
    assert track.duration == pytest.approx(5.42, abs=0.3)  # MP3 adds encoder padding
    assert _rms(track.pcm) > 500


def test_wav_without_extension_is_sniffed(data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "RE0123456789abcdef"
    shutil.copy(data_dir / "ko_caller_8k.wav", target)
    (track,) = load_audio(target)
    assert track.duration == pytest.approx(5.42, abs=0.02)


def test_stereo_is_split_into_caller_and_agent(data_dir: Path) -> None:
    caller, agent = load_audio(data_dir / "ko_dual_8k.wav")
    assert (caller.label, agent.label) == ("caller", "agent")
    assert caller.sample_rate == agent.sample_rate == 16000
    assert caller.duration == agent.duration == pytest.approx(7.56, abs=0.02)
    # The fixture's caller talks first, then the agent: channel order must be kept.
    half = (caller.frame_count // 2) * 2
    head, tail = slice(0, 2 * 16000 * 4), slice(2 * 16000 * 6, None)
    assert half > 0
    assert _rms(caller.pcm[head]) > 10 * max(_rms(caller.pcm[tail]), 1)
    assert _rms(agent.pcm[tail]) > 10 * max(_rms(agent.pcm[head]), 1)


def test_custom_sample_rate(data_dir: Path) -> None:
    (track,) = load_audio(data_dir / "ko_caller_8k.wav", sample_rate=8000)
    assert track.sample_rate == 8000
    assert track.frame_count == pytest.approx(8000 * 5.42, abs=20)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("garbage.wav", b"\x00\x01garbage" * 500),
        ("garbage.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xde\xad\xbe\xef" * 500),
        ("notes.txt", "这不是音频文件。\n".encode() * 100),
        ("recording", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
    ],
)
def test_corrupt_audio_raises_audio_error(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioError) as info:
        load_audio(path)
    message = str(info.value)
    assert name in message
    assert "\n" not in message and len(message) < 500  # no ffmpeg log dump


def test_truncated_wav_header_raises_audio_error(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.wav"
    path.write_bytes((data_dir / "ko_caller_8k.wav").read_bytes()[:30])
    with pytest.raises(AudioError):
        load_audio(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        load_audio(tmp_path / "missing.wav")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(empty)
