"""Quality inspection: three sampled calls per agent a month, graded on the centre's rubric."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr import grading
    from ivr.inspection import models  # noqa: F401 - the tables
    from ivr.inspection.cli import cli, demo_command, sample_command
    from ivr.registry import registry

    plugins = registry(app)
    plugins.flow_data.append(lambda app, _bundle: grading.init_app(app))  # rubrics, phrases
    plugins.demos.append(demo_command)  # agents, recorded calls, a sampled month
    app.cli.add_command(cli)
    app.cli.add_command(sample_command)
