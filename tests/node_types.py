"""The node types of the app as composed from its domains, for tests that load flows alone."""

from __future__ import annotations

from functools import cache

from ivr.flows.types import NodeTypes


@cache
def node_types() -> NodeTypes:
    from ivr.app import create_app

    app = create_app(
        {
            "IVR_ENV_FILE": "/nonexistent",
            "DATABASE_URL": "sqlite://",
            "SECRET_KEY": "x",
            "TWILIO_AUTH_TOKEN": "x",
        }
    )
    return app.extensions["ivr.registry"].node_types
