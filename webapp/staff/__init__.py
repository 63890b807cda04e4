"""The voicemail inbox: messages, their audio, handling."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp import register_private
    from webapp.staff.views import bp

    register_private(app, bp)
