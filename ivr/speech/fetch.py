"""Download, verify and unpack official Vosk models into ``<models_dir>/<locale>/``.

The archive is streamed to a temporary file (:func:`ivr.download.download`) while its
SHA-256 is computed; nothing is unpacked unless the digest matches, and a mismatching
download is deleted. Extraction
refuses absolute paths, ``..`` components, links and oversized archives, then moves
the model into place atomically.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from ivr.download import DownloadError, Progress, follow_any
from ivr.download import download as stream_to_file

from .models import SOURCE_FILE, is_model_dir, normalize_locale

MODEL_BASE_URL = "https://alphacephei.com/vosk/models/"
CHUNK_BYTES = 1 << 20
MAX_DOWNLOAD_BYTES = 4 << 30
MAX_UNPACKED_BYTES = 8 << 30
MAX_ENTRIES = 20_000

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class KnownModel:
    locale: str
    name: str
    url: str
    sha256: str | None  # None: the operator must pin one with --sha256
    size: int | None  # bytes, as listed in the official model-list.json


# Sizes are the ones in alphacephei's official model-list.json, which publishes only
# MD5 digests and sizes, not SHA-256. The SHA-256 digests below are the archives'
# digests as pinned, identically, by many independent projects (e.g. Yocto/BitBake
# recipes that verify them on every build); see models/README.md.
KNOWN_MODELS: dict[str, KnownModel] = {
    "zh-CN": KnownModel(
        locale="zh-CN",
        name="vosk-model-small-cn-0.22",
        url=MODEL_BASE_URL + "vosk-model-small-cn-0.22.zip",
        sha256="3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba",
        size=43_898_754,
    ),
    "en-US": KnownModel(
        locale="en-US",
        name="vosk-model-small-en-us-0.15",
        url=MODEL_BASE_URL + "vosk-model-small-en-us-0.15.zip",
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        size=41_205_931,
    ),
}


class FetchError(Exception):
    """A model could not be fetched; nothing was installed."""


class ChecksumMismatch(FetchError):
    pass


class UnsafeArchive(FetchError):
    pass


def normalize_sha256(value: str) -> str:
    """Lower-cased hex digest; raises :class:`FetchError` if it is not 64 hex digits."""
    digest = value.strip().lower()
    if not _SHA256_RE.match(digest):
        raise FetchError(f"invalid SHA-256 {value!r}: expected 64 hexadecimal digits")
    return digest


def fetch_model(
    url: str,
    sha256: str,
    models_dir: str | Path,
    locale: str,
    *,
    expected_size: int | None = None,
    force: bool = False,
    timeout: float = 30.0,
    progress: Progress | None = None,
) -> Path:
    """Download ``url``, check it against ``sha256`` and install it as ``models_dir/locale``.

    Returns the installed model directory. Raises :class:`ChecksumMismatch` (download
    deleted), :class:`UnsafeArchive` or :class:`FetchError`; on any failure an existing
    model is left untouched.
    """
    digest = normalize_sha256(sha256)
    locale = normalize_locale(locale)
    root = Path(models_dir)
    target = root / locale
    if target.exists() and not force:
        raise FetchError(f"{target} already exists; use --force to replace it")
    root.mkdir(parents=True, exist_ok=True)

    archive = download(
        url, digest, root, expected_size=expected_size, timeout=timeout, progress=progress
    )
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{locale}-", dir=root))
        try:
            staging.chmod(0o755)  # mkdtemp's 0700 would hide the model from other users
            name = extract_model(archive, staging)
            _write_source(staging, name=name, url=url, sha256=digest)
            _replace_dir(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        archive.unlink(missing_ok=True)
    return target


def download(
    url: str,
    sha256: str,
    directory: Path,
    *,
    expected_size: int | None = None,
    timeout: float = 30.0,
    progress: Progress | None = None,
) -> Path:
    """Stream ``url`` into a temporary file in ``directory`` and verify its SHA-256.

    The caller owns (and must delete) the returned file. On any error the partial
    download is removed.
    """
    digest = normalize_sha256(sha256)
    limit = expected_size if expected_size is not None else MAX_DOWNLOAD_BYTES
    fd, name = tempfile.mkstemp(prefix=".download-", suffix=".zip", dir=directory)
    os.close(fd)
    path = Path(name)
    try:
        try:
            got = stream_to_file(
                url,
                path,
                max_bytes=limit,
                timeout=timeout,
                redirects=follow_any,
                progress=progress,
            )
        except DownloadError as exc:
            raise FetchError(str(exc)) from None
        if expected_size is not None and got.size != expected_size:
            raise FetchError(f"{url} sent {got.size} bytes; expected {expected_size}")
        actual = got.sha256
        if not hmac.compare_digest(actual, digest):
            raise ChecksumMismatch(
                f"SHA-256 mismatch for {url}: expected {digest}, got {actual}; download deleted"
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def extract_model(archive: Path, destination: Path) -> str:
    """Safely unpack a model zip into ``destination`` (which must be empty).

    A single top-level directory (``vosk-model-small-cn-0.22/``) is stripped so the
    model files land directly in ``destination``. Returns the model's name: that
    directory's name, or the archive's stem.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FetchError(f"not a valid zip archive: {exc}") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        _check_members(zf.infolist())
        prefix = _common_top_dir(members)
        base = destination.resolve()
        for member in members:
            relative = PurePosixPath(member.filename).parts[1 if prefix else 0 :]
            out_path = base.joinpath(*relative)
            if not out_path.resolve().is_relative_to(base):
                raise UnsafeArchive(f"archive entry escapes the target: {member.filename!r}")
            out_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(member) as src, out_path.open("wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK_BYTES)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
                raise FetchError(f"cannot extract {member.filename!r}: {exc}") from None
    if not is_model_dir(destination):
        raise FetchError("archive does not contain a Vosk model (am/final.mdl, conf/)")
    return prefix or archive.stem


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    """Reject the whole archive before writing anything if any entry is unsafe."""
    if len(members) > MAX_ENTRIES:
        raise UnsafeArchive(f"archive has {len(members)} entries (limit {MAX_ENTRIES})")
    total = 0
    for member in members:
        name = member.filename
        path = PurePosixPath(name)
        if (
            "\\" in name
            or "\x00" in name
            or path.is_absolute()
            or re.match(r"^[A-Za-z]:", name)
            or ".." in path.parts
        ):
            raise UnsafeArchive(f"unsafe path in archive: {name!r}")
        mode = member.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchive(f"archive contains a symbolic link: {name!r}")
        total += member.file_size
    if total > MAX_UNPACKED_BYTES:
        raise UnsafeArchive(f"archive unpacks to {total} bytes (limit {MAX_UNPACKED_BYTES})")


def _common_top_dir(members: list[zipfile.ZipInfo]) -> str | None:
    tops = {PurePosixPath(m.filename).parts[0] for m in members}
    if len(tops) == 1 and all(len(PurePosixPath(m.filename).parts) > 1 for m in members):
        return tops.pop()
    return None


def _write_source(directory: Path, *, name: str, url: str, sha256: str) -> None:
    info = {
        "name": name,
        "url": url,
        "sha256": sha256,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (directory / SOURCE_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def _replace_dir(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target``, swapping out an existing model only at the end."""
    backup = None
    if target.exists():
        backup = target.with_name(f".{target.name}.old")
        shutil.rmtree(backup, ignore_errors=True)
        target.rename(backup)
    try:
        staging.rename(target)
    except OSError:
        if backup is not None:
            backup.rename(target)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
