"""Team leaders' and managers' pages: the flow and its traffic, statistics, call traces."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp import register_private
    from webapp.analytics import stats
    from webapp.analytics.flows import bp as flows_bp

    register_private(app, stats.bp)
    register_private(app, flows_bp)
