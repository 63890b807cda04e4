"""The application factory: the core, then every domain, then the flows they serve."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from ivr.flows import load_flows
from ivr.flows.builtin import BUILTIN
from ivr.registry import registry
from ivr.settings import ROOT, Settings, load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides environment variables (and may hold Flask keys);
    ``DOMAINS`` replaces the list of domains (``ivr.domains.DOMAINS``)."""
    config = dict(config or {})
    settings = config.pop("SETTINGS", None)
    domains = config.pop("DOMAINS", None)
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

    import ivr.models  # noqa: F401 - every table, so relationships between domains resolve
    import webapp
    from ivr import commands, db, jobs, logs, metrics, ops, voice
    from ivr.calls import journal
    from ivr.domains import DOMAINS
    from ivr.recordings import ext as recordings
    from ivr.speech import ext as speech
    from ivr.voice.sessions import StaffSessions

    for core in (
        logs,
        db,
        speech,
        jobs,
        journal,
        recordings,
        metrics,
        webapp,
        voice,
        ops,
        commands,
    ):
        core.init_app(app)
    registry(app).add_node_types(*BUILTIN)
    for domain in DOMAINS if domains is None else domains:
        domain.init_app(app)
    load_flows_into(app)  # once every node type is known: checks the flows against them
    app.session_interface = StaffSessions()
    return app


def load_flows_into(app: Flask) -> None:
    """Load and validate flows/ (and the data the domains keep beside them) once.

    An invalid file stops the server from starting, naming file, line and reason.
    """
    settings = app.config["SETTINGS"]
    plugins = registry(app)
    bundle = load_flows(
        settings.flows_dir,
        settings.timezone,
        settings.default_locale,
        audio_base_url=f"{settings.public_url}/audio",
        node_types=plugins.node_types,
    )
    app.extensions["ivr.flows"] = bundle
    for load in plugins.flow_data:
        load(app, bundle)
