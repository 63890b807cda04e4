"""ivr.download: one streamed GET into a file, against a server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ivr.download import DownloadError, TooLarge, download

BODY = bytes(range(256)) * 8192  # 2 MiB: more than one chunk
AUTH = ("AC123", "secret")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path
        if path == "/file":
            self._send(BODY)
        elif path == "/private":
            expected = "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
            self._send(b"private")
        elif path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/file")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/unsized":  # no Content-Length: the limit is checked while reading
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(BODY)
        elif path == "/short":  # promises more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[:1000])
        else:
            self.send_error(404)

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_streams_hashes_and_reports_progress(base_url: str, tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.bin"  # folders are made
    progress: list[tuple[int, int | None]] = []
    got = download(
        f"{base_url}/file", target, max_bytes=len(BODY), progress=lambda *p: progress.append(p)
    )
    assert got.path == target and target.read_bytes() == BODY
    assert got.size == len(BODY) and got.sha256 == hashlib.sha256(BODY).hexdigest()
    assert len(progress) > 1 and progress[-1] == (len(BODY), len(BODY))
    assert _files(target.parent) == ["file.bin"]  # no temporary file left


def test_auth_is_sent(base_url: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 401"):
        download(f"{base_url}/private", tmp_path / "p", max_bytes=100)
    got = download(f"{base_url}/private", tmp_path / "p", max_bytes=100, auth=AUTH)
    assert got.path.read_bytes() == b"private"


@pytest.mark.parametrize(
    ("path", "limit", "error", "message"),
    [
        ("/missing", 100, DownloadError, "HTTP 404"),
        ("/moved", 100, DownloadError, "HTTP 302"),  # redirects not followed unless asked
        ("/file", len(BODY) - 1, TooLarge, f"is {len(BODY)} bytes"),  # Content-Length
        ("/unsized", len(BODY) - 1, TooLarge, "sent more than"),
        ("/short", len(BODY), DownloadError, "failed"),
    ],
)
def test_failures_leave_the_destination_alone(
    base_url: str, tmp_path: Path, path: str, limit: int, error: type, message: str
) -> None:
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")
    with pytest.raises(error, match=message):
        download(f"{base_url}{path}", target, max_bytes=limit)
    assert target.read_bytes() == b"old"
    assert _files(tmp_path) == ["file.bin"]


def test_redirects_are_followed_when_allowed(base_url: str, tmp_path: Path) -> None:
    got = download(f"{base_url}/moved", tmp_path / "f", max_bytes=len(BODY), allow_redirects=True)
    assert got.size == len(BODY)


def test_unreachable_host(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="cannot download"):
        download("http://127.0.0.1:9/x", tmp_path / "x", max_bytes=100, timeout=2)
    assert _files(tmp_path) == []
