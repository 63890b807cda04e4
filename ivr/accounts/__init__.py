"""Option 4: a caller's pension account, after their personal number and password."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr import db
    from ivr.accounts import models  # noqa: F401 - the tables
    from ivr.accounts.cli import cli, demo_command
    from ivr.accounts.nodes import DESK, AccountLookup
    from ivr.accounts.service import AccountDesk
    from ivr.registry import registry

    plugins = registry(app)
    plugins.add_node_types(AccountLookup)
    secret = app.config["SETTINGS"].secret_key  # keys the lock rows of personal numbers
    plugins.add_service(DESK, lambda: AccountDesk(db.session(), secret))
    plugins.demos.append(demo_command)  # personal accounts to try option 4 with
    app.cli.add_command(cli)
