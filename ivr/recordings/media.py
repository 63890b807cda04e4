"""Fetching recordings from Twilio: only from allowed hosts, streamed, hashed, atomic.

The transfer itself is :func:`ivr.download.download`; what may be fetched is
decided here: the URL and each redirect (:func:`check_host`, against
IVR_MEDIA_HOSTS) and the body (:func:`check_audio`).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from ivr.download import DEFAULT_PORTS, DownloadError, download
from ivr.recordings.hosts import HTTPS_PORT, MediaHosts, canonical, is_loopback

MAX_BYTES = 200 * 1024 * 1024
UNTYPED = ("application/octet-stream", "binary/octet-stream")  # S3's default is the latter


class MediaRefused(ValueError):
    """The URL is not one we may fetch (host not allowed, bad scheme)."""


class NotAudio(DownloadError):
    """The body is empty or not a recording; it is not stored (the download is retried)."""


@dataclass(frozen=True)
class Stored:
    path: Path
    sha256: str
    size: int
    duration: float | None


def check_url(url: str, allowed: MediaHosts) -> str:
    """The download URL (WAV) for a RecordingUrl, or MediaRefused (see :func:`check_host`)."""
    check_host(url, allowed)
    if not PurePosixPath(urlsplit(url).path).suffix:
        url += ".wav"  # Twilio serves WAV for the extension-less RecordingUrl + .wav
    return url


def check_host(url: str, allowed: MediaHosts) -> None:
    """MediaRefused unless ``url``'s host and port are allowed (a RecordingUrl or a redirect).

    HTTPS only (credentials travel with the request), except to loopback hosts,
    which the local simulator and tests use.
    """
    parts = urlsplit(url)
    host = canonical(parts.hostname or "")
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(host)):
        raise MediaRefused(f"scheme {parts.scheme!r} is not allowed for {host or '(no host)'}")
    if parts.username or parts.password:
        raise MediaRefused("credentials in the URL are not allowed")
    try:
        port = DEFAULT_PORTS[parts.scheme] if parts.port is None else parts.port
    except ValueError:
        raise MediaRefused(f"{parts.netloc!r} has no valid port") from None
    if not any(entry.allows(host, port) for entry in allowed):
        shown = f"[{host}]" if ":" in host else host or "(none)"
        raise MediaRefused(
            f"{shown}:{port} is not in IVR_MEDIA_HOSTS (a host listed without a port "
            f"allows only {HTTPS_PORT}, except loopback)"
        )


def fetch(
    url: str,
    destination: Path,
    auth: tuple[str, str] | None,
    allowed: MediaHosts,
    timeout: float = 30,
) -> Stored:
    """Stream ``url`` (already checked) into ``destination``; only audio is stored.

    A redirect is followed only to an allowed host and port (a platform may
    answer with a link to its object storage), never with the credentials to
    another host. Raises :class:`ivr.download.DownloadError` (network, HTTP
    status, redirect refused, larger than MAX_BYTES, empty or not audio) or
    ``OSError``; the destination is only ever complete.
    """

    def redirect(target: str) -> None:
        try:
            check_host(target, allowed)
        except MediaRefused as exc:
            raise DownloadError(f"redirect refused: {exc}") from None

    got = download(
        url,
        destination,
        max_bytes=MAX_BYTES,
        timeout=timeout,
        auth=auth,
        redirects=redirect,
        accept=check_audio,
    )
    return Stored(got.path, got.sha256, got.size, wav_duration(got.path))


def check_audio(content_type: str, head: bytes) -> None:
    """NotAudio unless the body starts as WAV, MP3 or Ogg does and is served as audio.

    The first bytes decide; the Content-Type may only confirm (audio/*) or
    not know (application/octet-stream, or none, as object storage often serves).
    """
    if not head:
        raise NotAudio("the body is empty (0 bytes)")
    served = content_type.split(";")[0].strip().lower()
    if served and not served.startswith("audio/") and served not in UNTYPED:
        raise NotAudio(f"served as {served[:60]}, not audio")
    if audio_format(head) is None:
        raise NotAudio(f"the body is not WAV, MP3 or Ogg audio (it starts {head[:8]!r})")


def audio_format(head: bytes) -> str | None:
    """"wav", "mp3" or "ogg" by the first bytes, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # MPEG frame sync
        version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
        if version != 0b01 and layer != 0b00:  # neither reserved (layer 00 is AAC's ADTS)
            return "mp3"
    return None


def wav_duration(path: Path) -> float | None:
    try:
        with wave.open(str(path), "rb") as audio:
            return round(audio.getnframes() / float(audio.getframerate()), 3)
    except (wave.Error, EOFError, ZeroDivisionError, OSError, RuntimeError):  # corrupt header
        return None
