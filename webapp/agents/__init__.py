"""Agents' board and their own status page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp import register_private
    from webapp.agents.views import bp

    register_private(app, bp)
