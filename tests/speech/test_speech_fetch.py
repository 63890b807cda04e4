"""Model download: checksum verification and safe unpacking, served from 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from ivr.speech import fetch
from ivr.speech.fetch import ChecksumMismatch, FetchError, UnsafeArchive, fetch_model
from ivr.speech.models import SOURCE_FILE, ModelRegistry, is_model_dir


def _publish(root: Path, name: str, content: bytes) -> str:
    (root / name).write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def _leftovers(models_dir: Path) -> list[str]:
    return sorted(p.name for p in models_dir.iterdir()) if models_dir.exists() else []


def test_fetch_installs_verified_model(file_server, make_model_zip, tmp_path: Path) -> None:
    base_url, www = file_server
    content = make_model_zip("vosk-model-small-cn-0.22")
    digest = _publish(www, "model.zip", content)
    models_dir = tmp_path / "models"
    progress: list[tuple[int, int | None]] = []

    path = fetch_model(
        base_url + "model.zip",
        digest.upper(),
        models_dir,
        "zh_cn",
        expected_size=len(content),
        progress=lambda done, total: progress.append((done, total)),
    )

    assert path == models_dir / "zh-CN"
    assert is_model_dir(path)
    assert (path / "graph" / "HCLr.fst").read_bytes() == b"graph"
    assert not (path / "vosk-model-small-cn-0.22").exists()  # top directory stripped
    source = json.loads((path / SOURCE_FILE).read_text())
    assert source["name"] == "vosk-model-small-cn-0.22"
    assert source["sha256"] == digest
    assert progress[-1] == (len(content), len(content))
    assert _leftovers(models_dir) == ["zh-CN"]  # no temporary files left behind
    location = ModelRegistry(models_dir, {}).resolve("zh-CN")
    assert location.name == "vosk-model-small-cn-0.22"


def test_checksum_mismatch_is_refused(file_server, make_model_zip, tmp_path: Path) -> None:
    base_url, www = file_server
    _publish(www, "model.zip", make_model_zip())
    models_dir = tmp_path / "models"
    with pytest.raises(ChecksumMismatch, match="download deleted"):
        fetch_model(base_url + "model.zip", "0" * 64, models_dir, "zh-CN")
    assert _leftovers(models_dir) == []


def test_size_mismatch_is_refused(file_server, make_model_zip, tmp_path: Path) -> None:
    base_url, www = file_server
    content = make_model_zip()
    digest = _publish(www, "model.zip", content)
    models_dir = tmp_path / "models"
    with pytest.raises(FetchError, match="bytes"):
        fetch_model(
            base_url + "model.zip", digest, models_dir, "zh-CN", expected_size=len(content) - 1
        )
    assert _leftovers(models_dir) == []


@pytest.mark.parametrize(
    "evil_name",
    ["vosk-model-test-0.1/../../escaped.txt", "../escaped.txt", "/tmp/escaped.txt"],
)
def test_path_traversal_is_refused(
    file_server, make_model_zip, tmp_path: Path, evil_name: str
) -> None:
    base_url, www = file_server
    content = make_model_zip(extra={evil_name: b"pwned"})
    digest = _publish(www, "evil.zip", content)  # the checksum matches: only the paths are bad
    models_dir = tmp_path / "a" / "models"
    with pytest.raises(UnsafeArchive, match="unsafe path"):
        fetch_model(base_url + "evil.zip", digest, models_dir, "zh-CN")
    assert _leftovers(models_dir) == []
    assert not list(tmp_path.rglob("escaped.txt"))


def test_symlink_entries_are_refused(file_server, make_model_zip, tmp_path: Path) -> None:
    base_url, www = file_server
    buf = io.BytesIO(make_model_zip())
    with zipfile.ZipFile(buf, "a") as zf:
        link = zipfile.ZipInfo("vosk-model-test-0.1/conf/link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    digest = _publish(www, "link.zip", buf.getvalue())
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        fetch_model(base_url + "link.zip", digest, tmp_path / "models", "zh-CN")


def test_archive_without_model_is_refused(file_server, tmp_path: Path) -> None:
    base_url, www = file_server
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "no model here")
    digest = _publish(www, "empty.zip", buf.getvalue())
    models_dir = tmp_path / "models"
    with pytest.raises(FetchError, match="does not contain a Vosk model"):
        fetch_model(base_url + "empty.zip", digest, models_dir, "zh-CN")
    assert _leftovers(models_dir) == []


def test_not_a_zip_is_refused(file_server, tmp_path: Path) -> None:
    base_url, www = file_server
    digest = _publish(www, "page.html", b"<html>not found</html>")
    with pytest.raises(FetchError, match="not a valid zip"):
        fetch_model(base_url + "page.html", digest, tmp_path / "models", "zh-CN")


def test_http_error_is_reported(file_server, tmp_path: Path) -> None:
    base_url, _ = file_server
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_model(base_url + "missing.zip", "a" * 64, tmp_path / "models", "zh-CN")
    assert _leftovers(tmp_path / "models") == []


def test_existing_model_needs_force(file_server, make_model_zip, tmp_path: Path) -> None:
    base_url, www = file_server
    models_dir = tmp_path / "models"
    old = _publish(www, "old.zip", make_model_zip("vosk-model-old"))
    new = _publish(www, "new.zip", make_model_zip("vosk-model-new"))
    fetch_model(base_url + "old.zip", old, models_dir, "zh-CN")
    with pytest.raises(FetchError, match="--force"):
        fetch_model(base_url + "new.zip", new, models_dir, "zh-CN")
    # A failed forced replacement keeps the old model.
    with pytest.raises(ChecksumMismatch):
        fetch_model(base_url + "new.zip", old, models_dir, "zh-CN", force=True)
    assert ModelRegistry(models_dir, {}).resolve("zh-CN").name == "vosk-model-old"
    fetch_model(base_url + "new.zip", new, models_dir, "zh-CN", force=True)
    assert ModelRegistry(models_dir, {}).resolve("zh-CN").name == "vosk-model-new"
    assert _leftovers(models_dir) == ["zh-CN"]


@pytest.mark.parametrize("bad", ["", "abc", "g" * 64, "a" * 63])
def test_invalid_digest_is_rejected_before_downloading(tmp_path: Path, bad: str) -> None:
    with pytest.raises(FetchError, match="invalid SHA-256"):
        fetch_model("http://127.0.0.1:9/never", bad, tmp_path, "zh-CN")


def test_known_models_are_pinned() -> None:
    assert set(fetch.KNOWN_MODELS) == {"zh-CN", "en-US"}
    for locale, known in fetch.KNOWN_MODELS.items():
        assert known.locale == locale
        assert known.url == f"https://alphacephei.com/vosk/models/{known.name}.zip"
        assert known.sha256 is not None and len(known.sha256) == 64
        assert known.size and known.size > 1_000_000
