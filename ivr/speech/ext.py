from __future__ import annotations

from flask import Flask, current_app

from ivr.speech.models import ModelRegistry


def init_app(app: Flask) -> None:
    """One model registry per process; models load on first use (or `ivr worker` preloads)."""
    settings = app.config["SETTINGS"]
    registry = ModelRegistry(settings.models_dir, settings.vosk_models)
    app.extensions["ivr.speech"] = registry

    def health() -> str:
        locales = registry.configured_locales()
        return f"ok ({', '.join(locales)})" if locales else "not configured (no speech model)"

    app.extensions.setdefault("ivr.health", {})["speech"] = health


def registry() -> ModelRegistry:
    return current_app.extensions["ivr.speech"]
