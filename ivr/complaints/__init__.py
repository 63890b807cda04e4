"""Option 5: complaints and reports, as tickets with deadlines."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr.complaints import models, service  # noqa: F401 - models: the tables
    from ivr.complaints.nodes import Complaint
    from ivr.registry import registry

    plugins = registry(app)
    plugins.add_node_types(Complaint)
    plugins.on_events(service.EVENT_KINDS, service.apply_events)
