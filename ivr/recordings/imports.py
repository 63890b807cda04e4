"""Recording files written by a switch or PBX into a folder: found, checked, stored, set aside.

What a file belongs to is the importing domain's business; here is only what
is true of any such file: whether it is finished (unchanged for the settle
period and not open for writing), its sidecar, its WAV format and digest,
storing it (atomically, channels in our order) and moving a refused file to
``rejected/`` with its reason beside it.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REJECTED = "rejected"
REASON_SUFFIX = ".reason.txt"
MAX_SIDECAR = 64 * 1024  # bytes


class Unusable(ValueError):
    """The file can never be imported as it is: the reason says why."""


@dataclass(frozen=True)
class Audio:
    channels: int
    sample_width: int
    frame_rate: int
    frames: int

    @property
    def duration(self) -> float:
        return round(self.frames / float(self.frame_rate), 3)


def audio_files(folder: Path) -> Iterator[Path]:
    """Every ``*.wav`` under ``folder`` (PBX templates often add date folders), not
    those already set aside in ``rejected/``, in name order."""
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() != ".wav" or not path.is_file():
            continue
        if path.relative_to(folder).parts[0] == REJECTED:
            continue
        yield path


def sidecar_of(path: Path) -> Path | None:
    """``NAME.wav.json`` or ``NAME.json`` beside the audio, if either exists."""
    for candidate in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if candidate.is_file():
            return candidate
    return None


def unfinished(path: Path, settle: float, now: float) -> str | None:
    """Why ``path`` may still be being written (None: it is finished).

    A writer changes the size and mtime with every block, so a file unchanged
    for ``settle`` seconds has stopped growing. Where the system allows it (the
    file is ours, a local file system), a read lease also tells whether anyone
    still has the file open for writing.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "gone (moved away while being read)"
    if now - stat.st_mtime < settle:
        return "still being written (changed in the last seconds)"
    if _open_for_writing(path):
        return "still open for writing"
    return None


def _open_for_writing(path: Path) -> bool:
    lease = getattr(fcntl, "F_SETLEASE", None)
    if lease is None:
        return False
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.fcntl(descriptor, lease, fcntl.F_RDLCK)
        fcntl.fcntl(descriptor, lease, fcntl.F_UNLCK)
    except OSError as exc:
        return exc.errno in (errno.EAGAIN, errno.EBUSY)  # EACCES etc.: not ours to know
    finally:
        os.close(descriptor)
    return False


def read_sidecar(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_SIDECAR:
        raise Unusable(f"sidecar {path.name} is larger than {MAX_SIDECAR} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Unusable(f"sidecar {path.name} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Unusable(f"sidecar {path.name} is not a JSON object")
    return data


def read_audio(path: Path) -> Audio:
    """The WAV's format; Unusable for anything else, or a WAV with no audio."""
    try:
        with wave.open(str(path), "rb") as audio:
            found = Audio(
                audio.getnchannels(),
                audio.getsampwidth(),
                audio.getframerate(),
                audio.getnframes(),
            )
    except (wave.Error, EOFError, OSError, RuntimeError) as exc:  # RuntimeError: bad chunks
        detail = f" ({exc})" if str(exc) else ""
        raise Unusable(f"not a PCM WAV file{detail}") from None
    if found.frames == 0 or found.frame_rate == 0:
        raise Unusable("no audio in the file (empty, or its writer stopped before the end)")
    return found


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def store(source: Path, destination: Path, *, swap_channels: bool = False) -> str:
    """Copy ``source`` to ``destination`` (temp file, then rename); its SHA-256.

    ``swap_channels`` exchanges the two channels of a stereo WAV, so that the
    stored file has the caller on the left and the agent on the right.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, suffix=".part")
    os.close(handle)
    try:
        if swap_channels:
            _write_swapped(source, Path(temporary))
        else:
            shutil.copyfile(source, temporary)
        stored = digest(Path(temporary))
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return stored


def _write_swapped(source: Path, target: Path) -> None:
    with wave.open(str(source), "rb") as reader, wave.open(str(target), "wb") as writer:
        if reader.getnchannels() != 2:
            raise Unusable("only a two-channel file has channels to swap")
        writer.setparams(reader.getparams())
        width = reader.getsampwidth()
        frame = 2 * width
        while chunk := reader.readframes(65536):
            swapped = bytearray(len(chunk))
            for byte in range(width):
                swapped[byte::frame] = chunk[width + byte :: frame]
                swapped[width + byte :: frame] = chunk[byte::frame]
            writer.writeframes(bytes(swapped))


def set_aside(path: Path, folder: Path, reason: str, sidecar: Path | None = None) -> Path:
    """Move a refused file (and its sidecar) to ``folder/rejected/``, keeping its
    sub-folders, with ``NAME.reason.txt`` beside it; where it went."""
    target = folder / REJECTED / path.relative_to(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    if sidecar is not None and sidecar.exists():
        os.replace(sidecar, target.parent / sidecar.name)
    target.with_name(target.name + REASON_SUFFIX).write_text(reason + "\n", encoding="utf-8")
    return target


def remove(path: Path, sidecar: Path | None = None) -> None:
    """The file is stored (or was already): take it out of the folder."""
    path.unlink(missing_ok=True)
    if sidecar is not None:
        sidecar.unlink(missing_ok=True)
