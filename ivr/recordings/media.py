"""Fetching recordings from Twilio: only from allowed hosts, streamed, hashed, atomic."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import requests

CHUNK = 64 * 1024
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
    """Stream ``url`` into ``destination`` (via a temp file, then rename); hash as it goes."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with requests.get(
        url, auth=auth, stream=True, timeout=timeout, allow_redirects=False
    ) as response:
        response.raise_for_status()
        fd, temp = tempfile.mkstemp(dir=destination.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in response.iter_content(CHUNK):
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise ValueError(f"recording larger than {MAX_BYTES} bytes")
                    digest.update(chunk)
                    handle.write(chunk)
            os.replace(temp, destination)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    return Stored(destination, digest.hexdigest(), size, wav_duration(destination))


def wav_duration(path: Path) -> float | None:
    try:
        with wave.open(str(path), "rb") as audio:
            return round(audio.getnframes() / float(audio.getframerate()), 3)
    except (wave.Error, EOFError, ZeroDivisionError, OSError, RuntimeError):  # corrupt header
        return None
