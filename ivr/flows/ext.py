from __future__ import annotations

from flask import Flask

from ivr.flows.loader import load_flows


def init_app(app: Flask) -> None:
    """Load and validate flows/ once; an invalid file stops the server from starting."""
    settings = app.config["SETTINGS"]
    app.extensions["ivr.flows"] = load_flows(
        settings.flows_dir,
        settings.timezone,
        settings.default_locale,
        audio_base_url=f"{settings.public_url}/audio",
    )
