"""What the simulated caller says into a media stream: a phrase spoken by espeak-ng, or a WAV file."""

from __future__ import annotations

import shutil
import subprocess  # noqa: S404 - runs espeak-ng with arguments, never a shell
import tempfile
from pathlib import Path

from ivr import mulaw

SAMPLE_RATE = 8000  # what the telephone network carries, and Media Streams with it
# espeak-ng voice of each call locale, or of the <Say language> a menu speaks in.
VOICES = {"zh-cn": "cmn", "cmn-cn": "cmn", "en-us": "en-us", "ko-kr": "ko"}


class SpeechUnavailable(RuntimeError):
    """The caller's audio cannot be made (espeak-ng missing, an unreadable file)."""


def is_file(item: str) -> bool:
    """``@X.wav`` (any case) plays a file; any other ``@text`` is spoken."""
    return item.lower().endswith(".wav")


def ulaw_audio(item: str, locale: str) -> bytes:
    """8 kHz μ-law of ``item``: a WAV file (resampled, first channel) or a phrase in ``locale``.

    ``locale`` is a call locale (zh-CN) or a Say language (cmn-CN); any other code is
    taken as an espeak-ng voice name.
    """
    if is_file(item):
        return mulaw.encode(_pcm(Path(item)))
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SpeechUnavailable(
            "--say needs espeak-ng (apt-get install espeak-ng), or give --say-file X.wav"
        )
    voice = VOICES.get(locale.lower(), locale.lower())
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "say.wav"
        done = subprocess.run(  # noqa: S603 - fixed program, the phrase is one argument
            [espeak, "-v", voice, "-w", str(wav), item],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SpeechUnavailable(f"espeak-ng -v {voice} failed: {done.stderr.strip()[:200]}")
        return mulaw.encode(_pcm(wav))


def _pcm(path: Path) -> bytes:
    from ivr.speech.audio import AudioError, load_audio  # pydub: only when the caller speaks

    try:
        return load_audio(path, sample_rate=SAMPLE_RATE)[0].pcm
    except AudioError as exc:
        raise SpeechUnavailable(str(exc)) from exc
