"""Team leaders' and managers' pages: the flow and its traffic, statistics, call traces."""

from __future__ import annotations

from flask import Flask

from webapp.analytics import trace


def init_app(app: Flask) -> None:
    trace.init_app(app)
