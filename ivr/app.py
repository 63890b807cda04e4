"""The application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from ivr.settings import ROOT, Settings, load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides environment variables (and may hold Flask keys)."""
    config = dict(config or {})
    settings = config.pop("SETTINGS", None)
    if not isinstance(settings, Settings):
        environ = {**os.environ, **{k: str(v) for k, v in config.items() if k.isupper()}}
        settings = load_settings(environ)

    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
    )
    app.config.update({k: v for k, v in config.items() if k in ("TESTING", "JOB_BACKOFF_SCALE")})

    import webapp
    from ivr import cli, db, jobs, logs, metrics
    from ivr.calls import journal
    from ivr.fax import ext as fax
    from ivr.flows import ext as flows
    from ivr.ops.views import bp as ops_bp
    from ivr.speech import ext as speech
    from ivr.voice.sessions import StaffSessions
    from ivr.voice.views import bp as voice_bp

    for subsystem in (logs, db, flows, fax, speech, jobs, journal, metrics, webapp, cli):
        subsystem.init_app(app)
    for blueprint in (voice_bp, ops_bp):
        app.register_blueprint(blueprint)
    app.session_interface = StaffSessions()
    return app
