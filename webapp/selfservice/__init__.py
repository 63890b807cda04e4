"""Fax requests and how their delivery went."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp import register_private
    from webapp.selfservice.views import bp

    register_private(app, bp)
