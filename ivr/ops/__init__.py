"""Operations endpoints: health, metrics and public prompt audio."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr.ops.views import bp

    app.register_blueprint(bp)
