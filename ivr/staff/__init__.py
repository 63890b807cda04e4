"""Staff accounts, roles and the audit trail of the web UI."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr.staff import models  # noqa: F401 - the tables
    from ivr.staff.cli import cli

    app.cli.add_command(cli)
