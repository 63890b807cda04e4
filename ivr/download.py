"""One HTTP GET streamed into a file: a temporary file beside it, then an atomic rename.

The body is written in chunks to a temporary file in the destination's folder
while its SHA-256 and size are computed; a size limit is enforced before
reading (Content-Length) and while reading. Only a complete body becomes
``destination``, with one ``os.replace``; on any failure the temporary file is
removed and an existing destination is left as it was.

Used for call recordings (``ivr.recordings.media``, which checks the URL
first) and speech models (``ivr.speech.fetch``, which checks the digest).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

CHUNK_BYTES = 1 << 20

Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


class DownloadError(Exception):
    """The download failed (network, HTTP status, size); ``destination`` was not touched."""


class TooLarge(DownloadError):
    """The body is (or says it is) larger than the limit."""


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str  # hex digest of the bytes stored


def download(
    url: str,
    destination: Path,
    *,
    max_bytes: int,
    timeout: float = 30.0,
    auth: tuple[str, str] | None = None,
    allow_redirects: bool = False,
    progress: Progress | None = None,
) -> Downloaded:
    """GET ``url`` into ``destination``; anything but HTTP 200 is a :class:`DownloadError`.

    ``timeout`` bounds the connection and each wait for data (requests'
    semantics), not the whole transfer. Redirects are followed only when
    ``allow_redirects``. ``progress`` is called after every chunk. Local
    errors (disk full, permissions) raise ``OSError``.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        response = requests.get(
            url, auth=auth, stream=True, timeout=timeout, allow_redirects=allow_redirects
        )
    except requests.RequestException as exc:
        raise DownloadError(f"cannot download {url}: {exc}") from exc
    with response:
        if response.status_code != 200:
            raise DownloadError(f"cannot download {url}: HTTP {response.status_code}")
        total = _content_length(response)
        if total is not None and total > max_bytes:
            raise TooLarge(f"{url} is {total} bytes; the limit is {max_bytes}")
        fd, name = tempfile.mkstemp(dir=destination.parent, prefix=".part-")
        temp = Path(name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                try:
                    for chunk in response.iter_content(CHUNK_BYTES):
                        size += len(chunk)
                        if size > max_bytes:
                            raise TooLarge(f"{url} sent more than {max_bytes} bytes")
                        digest.update(chunk)
                        out.write(chunk)
                        if progress is not None:
                            progress(size, total)
                except requests.RequestException as exc:
                    raise DownloadError(f"download of {url} failed: {exc}") from exc
            os.replace(temp, destination)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    return Downloaded(destination, size, digest.hexdigest())


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
