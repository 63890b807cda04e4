"""Fetching recordings from Twilio: only from allowed hosts, streamed, hashed, atomic.

The transfer itself is :func:`ivr.download.download`; what may be fetched is
decided here (:func:`check_url`).
"""

from __future__ import annotations

import ipaddress
import wave
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from ivr.download import download

MAX_BYTES = 200 * 1024 * 1024


class MediaRefused(ValueError):
    """The URL is not one we may fetch (host not allowed, bad scheme)."""


@dataclass(frozen=True)
class Stored:
    path: Path
    sha256: str
    size: int
    duration: float | None


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_url(url: str, allowed_hosts: tuple[str, ...]) -> str:
    """The download URL (WAV) for a RecordingUrl, or MediaRefused.

    HTTPS only (credentials travel with the request), except to loopback hosts,
    which the local simulator and tests use.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host not in allowed_hosts:
        raise MediaRefused(f"host {host or '(none)'} is not in IVR_MEDIA_HOSTS")
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(host)):
        raise MediaRefused(f"scheme {parts.scheme!r} is not allowed for {host}")
    if parts.username or parts.password:
        raise MediaRefused("credentials in the URL are not allowed")
    if not PurePosixPath(parts.path).suffix:
        url += ".wav"  # Twilio serves WAV for the extension-less RecordingUrl + .wav
    return url


def fetch(url: str, destination: Path, auth: tuple[str, str] | None, timeout: float = 30) -> Stored:
    """Stream ``url`` (already checked) into ``destination``; no redirects are followed.

    Raises :class:`ivr.download.DownloadError` (network, HTTP status, larger
    than MAX_BYTES) or ``OSError``; the destination is only ever complete.
    """
    got = download(url, destination, max_bytes=MAX_BYTES, timeout=timeout, auth=auth)
    return Stored(got.path, got.sha256, got.size, wav_duration(got.path))


def wav_duration(path: Path) -> float | None:
    try:
        with wave.open(str(path), "rb") as audio:
            return round(audio.getnframes() / float(audio.getframerate()), 3)
    except (wave.Error, EOFError, ZeroDivisionError, OSError, RuntimeError):  # corrupt header
        return None
