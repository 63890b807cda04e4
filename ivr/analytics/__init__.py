"""How callers move through the hotline: the flow drawn with its traffic, centre
statistics and one call's trace, all from the call events the server records."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr.analytics import events
    from ivr.analytics.cli import cli, demo_command
    from ivr.registry import registry

    plugins = registry(app)
    plugins.on_events(events.END_KINDS, events.record_end)
    plugins.demos.append(demo_command)  # a month of calls walked through the flow
    app.cli.add_command(cli)
