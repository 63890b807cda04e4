from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The recordings pipeline: download and transcription jobs, ``ivr transcribe``,
    the ``ivr recordings`` group."""
    from ivr.recordings import jobs  # noqa: F401 - registers the tasks and the sweeper
    from ivr.recordings.cli import cli, transcribe_command

    app.cli.add_command(transcribe_command)
    app.cli.add_command(cli)
