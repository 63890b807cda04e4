"""ivr.download: one streamed GET into a file, against a server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ivr.download import (
    HEAD_BYTES,
    MAX_REDIRECTS,
    DownloadError,
    TooLarge,
    download,
    follow_any,
)

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
            self._redirect("/file")
        elif path == "/loop":
            self._redirect("/loop")
        elif path.startswith("/to?"):  # /to?URL: a redirect to URL
            self._redirect(path.removeprefix("/to?"))
        elif path == "/who":  # says whether credentials came along
            self._send(b"with auth" if "Authorization" in self.headers else b"without")
        elif path == "/empty":
            self._send(b"")
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

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve() -> Iterator[int]:
    """The test server on 127.0.0.1, on the port yielded."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def base_url() -> Iterator[str]:
    with serve() as port:
        yield f"http://127.0.0.1:{port}"


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
    got = download(f"{base_url}/moved", tmp_path / "f", max_bytes=len(BODY), redirects=follow_any)
    assert got.size == len(BODY)


def test_each_redirect_is_checked_before_it_is_followed(base_url: str, tmp_path: Path) -> None:
    asked: list[str] = []

    def refuse(url: str) -> None:
        asked.append(url)
        raise DownloadError(f"not allowed: {url}")

    target = tmp_path / "f"
    with pytest.raises(DownloadError, match="not allowed"):
        download(f"{base_url}/moved", target, max_bytes=len(BODY), redirects=refuse)
    assert asked == [f"{base_url}/file"] and _files(tmp_path) == []


def test_credentials_go_only_to_the_host_and_port_asked(base_url: str, tmp_path: Path) -> None:
    def get(location: str) -> bytes:
        url = f"{base_url}/to?{location}"
        got = download(url, tmp_path / "f", max_bytes=100, auth=AUTH, redirects=follow_any)
        return got.path.read_bytes()

    assert get("/who") == b"with auth"  # the same host and port
    assert get(base_url.replace("127.0.0.1", "localhost") + "/who") == b"without"
    with serve() as other:  # the same host, another port
        assert get(f"http://127.0.0.1:{other}/who") == b"without"


def test_redirects_are_followed_a_few_times_only(base_url: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=f"more than {MAX_REDIRECTS} redirects"):
        download(f"{base_url}/loop", tmp_path / "f", max_bytes=100, redirects=follow_any)


def test_the_body_can_be_refused_by_its_type_and_first_bytes(base_url: str, tmp_path: Path) -> None:
    seen: list[tuple[str, bytes]] = []

    def refuse(content_type: str, head: bytes) -> None:
        seen.append((content_type, head))
        raise DownloadError("not wanted")

    target = tmp_path / "f"
    target.write_bytes(b"old")
    for path in ("/file", "/empty", "/private"):
        with pytest.raises(DownloadError, match="not wanted"):
            download(f"{base_url}{path}", target, max_bytes=len(BODY), auth=AUTH, accept=refuse)
    assert seen == [
        ("text/plain", BODY[:HEAD_BYTES]),
        ("text/plain", b""),  # an empty body is judged too
        ("text/plain", b"private"),
    ]
    assert target.read_bytes() == b"old" and _files(tmp_path) == ["f"]


def test_unreachable_host(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="cannot download"):
        download("http://127.0.0.1:9/x", tmp_path / "x", max_bytes=100, timeout=2)
    assert _files(tmp_path) == []
