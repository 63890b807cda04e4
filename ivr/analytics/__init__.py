"""How callers move through the hotline: the flow drawn with its traffic, centre
statistics and one call's trace, all from the call events the server records."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr.analytics import events
    from ivr.registry import registry

    registry(app).on_events(events.END_KINDS, events.record_end)
