"""Option 0: agents of the caller's own centre, their presence, queues and recorded calls."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr.agents import distribution, recordings
    from ivr.agents.cli import cli
    from ivr.agents.imports import import_command  # also the watched folder's task
    from ivr.agents.models import CallRecording
    from ivr.agents.nodes import PRESENCE, Agent
    from ivr.agents.presence import presence
    from ivr.recordings.cli import cli as recordings_cli
    from ivr.registry import registry

    plugins = registry(app)
    plugins.add_node_types(Agent)
    plugins.on_events(distribution.EVENT_KINDS, distribution.apply_events)
    plugins.add_recording_kind(recordings.KIND, CallRecording, recordings.apply_recording_callback)
    plugins.add_service(PRESENCE, presence)
    app.cli.add_command(cli)
    recordings_cli.add_command(import_command)  # ivr recordings import: the switch's files
