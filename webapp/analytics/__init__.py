"""Team leaders' and managers' pages: the flow and its traffic, statistics, call traces."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp import register_private
    from webapp.analytics import stats

    register_private(app, stats.bp)
