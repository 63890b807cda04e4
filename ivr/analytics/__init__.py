"""How callers move through the hotline: the flow drawn with its traffic, centre
statistics and one call's trace, all from the call events the server records."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr.analytics.cli import cli, demo_command
    from ivr.registry import registry

    registry(app).demos.append(demo_command)  # a month of calls walked through the flow
    app.cli.add_command(cli)
