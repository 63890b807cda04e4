from __future__ import annotations

from flask import Flask, current_app

from ivr.flows.builtin import BUILTIN
from ivr.flows.loader import FlowBundle, load_flows
from ivr.registry import registry


def register_builtins(app: Flask) -> None:
    registry(app).add_node_types(*BUILTIN)


def init_app(app: Flask) -> None:
    """Load and validate flows/ (and the data the domains keep beside them) once.

    Runs after every domain has registered its node types; an invalid file
    stops the server from starting, naming file, line and reason.
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


def bundle() -> FlowBundle:
    return current_app.extensions["ivr.flows"]
