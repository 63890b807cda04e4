"""Decode recordings into the 16 kHz mono 16-bit PCM that Vosk models expect.

WAV files are read by pydub's pure-Python reader; anything else (MP3, mu-law WAV, ...)
goes through ffmpeg, which pydub runs as a subprocess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydub import AudioSegment

TARGET_SAMPLE_RATE = 16000
SAMPLE_WIDTH = 2  # bytes: signed 16-bit little-endian

# Channel order of Twilio dual-channel recordings (<Dial record="record-from-answer-dual">,
# RecordingChannels=dual): "The first channel of a dual-channel recording contains the
# parent call and the second channel contains the child call."
# (https://www.twilio.com/docs/voice/api/call-resource, RecordingChannels; Flex's guide
# https://www.twilio.com/docs/flex/developer/insights/enable-dual-channel-recordings says
# the same: channel 1 = customer/caller, channel 2 = agent.)
# For the hotline the parent call is the inbound caller and the child call is the agent
# dialled with <Dial>.
TWILIO_CHANNEL_LABELS: tuple[str, ...] = ("caller", "agent")
MONO_LABEL = "mono"

_ERROR_DETAIL_LIMIT = 300


class AudioError(Exception):
    """The input is missing, corrupt or in a format that cannot be decoded."""


@dataclass(frozen=True)
class ChannelAudio:
    """One channel of a recording as 16-bit signed little-endian mono PCM."""

    label: str
    pcm: bytes = field(repr=False)
    sample_rate: int
    duration: float  # seconds

    @property
    def frame_count(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH


def load_audio(
    path: str | Path,
    *,
    sample_rate: int = TARGET_SAMPLE_RATE,
    channel_labels: Sequence[str] = TWILIO_CHANNEL_LABELS,
) -> list[ChannelAudio]:
    """Decode ``path`` and return one mono PCM track per channel.

    A mono file yields a single track labelled ``"mono"``; a multi-channel file is split
    per channel and labelled from ``channel_labels`` (``channelN`` past the end of it).
    Raises :class:`AudioError` if the file cannot be read or decoded.
    """
    segment = _decode(Path(path))
    try:
        segment = segment.set_sample_width(SAMPLE_WIDTH).set_frame_rate(sample_rate)
        tracks = segment.split_to_mono() if segment.channels > 1 else [segment]
    except Exception as exc:  # audioop raises plain errors on malformed sample data
        raise AudioError(f"{Path(path).name}: cannot convert audio: {exc}") from exc

    if len(tracks) == 1:
        labels = [MONO_LABEL]
    else:
        labels = [
            channel_labels[i] if i < len(channel_labels) else f"channel{i + 1}"
            for i in range(len(tracks))
        ]
    result = []
    for label, track in zip(labels, tracks, strict=True):
        pcm = track.raw_data
        frames = len(pcm) // SAMPLE_WIDTH
        result.append(ChannelAudio(label, pcm, sample_rate, frames / sample_rate))
    return result


def _decode(path: Path) -> AudioSegment:
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path.name}: file is empty")
    # Recordings are often stored without a file extension, so sniff WAV rather than
    # trusting the name; for everything else ffmpeg detects the container itself.
    fmt = "wav" if _looks_like_wav(path) else None
    try:
        # Pass an open file, not the path: given a path, pydub 0.25 leaks the file handle
        # on WAV input and on most decode errors. ffmpeg then reads the data from a pipe.
        with path.open("rb") as fh:
            return AudioSegment.from_file(fh, format=fmt)
    except Exception as exc:
        # pydub surfaces bad input as CouldntDecodeError (with ffmpeg's whole stderr),
        # IndexError/KeyError from ffprobe output, wave.Error, OSError, ...
        raise AudioError(f"{path.name}: cannot decode audio: {_summarise(exc)}") from None


def _looks_like_wav(path: Path) -> bool:
    with path.open("rb") as fh:
        header = fh.read(12)
    return header[:4] in (b"RIFF", b"RIFX") and header[8:12] == b"WAVE"


def _summarise(exc: Exception) -> str:
    """Reduce an exception (possibly holding ffmpeg's full log) to one short line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    # ffmpeg prints its banner first and the actual complaint last.
    detail = lines[-1] if len(lines) > 1 else lines[0]
    detail = detail.removeprefix("cache:pipe:0: ").removeprefix("pipe:0: ")
    return detail[:_ERROR_DETAIL_LIMIT]
