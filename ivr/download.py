"""One HTTP GET streamed into a file: a temporary file beside it, then an atomic rename.

The body is written in chunks to a temporary file in the destination's folder
while its SHA-256 and size are computed; a size limit is enforced before
reading (Content-Length) and while reading. Only a complete body becomes
``destination``, with one ``os.replace``; on any failure the temporary file is
removed and an existing destination is left as it was.

Used for call recordings (``ivr.recordings.media``, which checks the URL, each
redirect and the body) and speech models (``ivr.speech.fetch``, which checks
the digest).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

CHUNK_BYTES = 1 << 20
HEAD_BYTES = 64  # what ``accept`` sees of the body
MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443}

Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


class DownloadError(Exception):
    """The download failed (network, HTTP status, redirect, size, body refused).

    ``destination`` was not touched.
    """


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
    redirects: Callable[[str], None] | None = None,
    accept: Callable[[str, bytes], None] | None = None,
    progress: Progress | None = None,
) -> Downloaded:
    """GET ``url`` into ``destination``; anything but HTTP 200 is a :class:`DownloadError`.

    ``timeout`` bounds the connection and each wait for data (requests'
    semantics), not the whole transfer. A redirect is followed only when
    ``redirects`` is given: it is called with each target (absolute URL) and
    raises :class:`DownloadError` to refuse it; at most ``MAX_REDIRECTS`` hops,
    and ``auth`` is never sent to another scheme, host or port than ``url``'s.
    ``accept(content_type, head)`` judges the body by its Content-Type and
    first ``HEAD_BYTES`` (fewer if the body is shorter, none if empty) and
    raises :class:`DownloadError` to reject it. ``progress`` is called after
    every chunk. Local errors (disk full, permissions) raise ``OSError``.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    response = _get(url, auth, timeout, redirects)
    url = response.url or url
    with response:
        if response.status_code != 200:
            raise DownloadError(f"cannot download {_shown(url)}: HTTP {response.status_code}")
        total = _content_length(response)
        if total is not None and total > max_bytes:
            raise TooLarge(f"{_shown(url)} is {total} bytes; the limit is {max_bytes}")
        content_type = response.headers.get("Content-Type", "")
        fd, name = tempfile.mkstemp(dir=destination.parent, prefix=".part-")
        temp = Path(name)
        try:
            digest, size, head = hashlib.sha256(), 0, b""
            with os.fdopen(fd, "wb") as out:
                try:
                    for chunk in response.iter_content(CHUNK_BYTES):
                        size += len(chunk)
                        if size > max_bytes:
                            raise TooLarge(f"{_shown(url)} sent more than {max_bytes} bytes")
                        if len(head) < HEAD_BYTES:
                            head += chunk[: HEAD_BYTES - len(head)]
                            if accept is not None and len(head) == HEAD_BYTES:
                                accept(content_type, head)
                        digest.update(chunk)
                        out.write(chunk)
                        if progress is not None:
                            progress(size, total)
                except requests.RequestException as exc:
                    raise DownloadError(f"download of {_shown(url)} failed: {exc}") from exc
            if accept is not None and len(head) < HEAD_BYTES:  # a short (or empty) body
                accept(content_type, head)
            os.replace(temp, destination)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    return Downloaded(destination, size, digest.hexdigest())


def follow_any(url: str) -> None:
    """For ``redirects=``: follow every redirect (the caller checks what it got, by digest)."""


def _get(
    url: str,
    auth: tuple[str, str] | None,
    timeout: float,
    redirects: Callable[[str], None] | None,
) -> requests.Response:
    """The first response that is not a redirect to follow, open (streamed)."""
    origin = _origin(url)
    for hop in range(MAX_REDIRECTS + 1):
        try:
            response = requests.get(
                url, auth=auth, stream=True, timeout=timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise DownloadError(f"cannot download {_shown(url)}: {exc}") from exc
        if redirects is None or not response.is_redirect:
            return response
        response.close()
        if hop == MAX_REDIRECTS:
            raise DownloadError(
                f"cannot download {_shown(url)}: more than {MAX_REDIRECTS} redirects"
            )
        url = urljoin(url, response.headers["Location"])
        redirects(url)
        if _origin(url) != origin:
            auth = None  # credentials are for the host that was asked, never a host it names
    raise AssertionError("unreachable")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    default = DEFAULT_PORTS.get(parts.scheme)
    return parts.scheme, parts.hostname or "", default if port is None else port


def _shown(url: str) -> str:
    """``url`` for messages: no query (object-storage links carry signatures there)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
