from __future__ import annotations

from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ivr import db

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """Database (required) and Redis (if configured); 503 when a required part is down."""
    checks: dict[str, str] = {}
    try:
        db.session().execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    for name, probe in current_app.extensions.get("ivr.health", {}).items():
        checks[name] = probe()
    healthy = all(v == "ok" or v.startswith(("ok ", "not ")) for v in checks.values())
    return jsonify(status="ok" if healthy else "degraded", checks=checks), 200 if healthy else 503


@bp.get("/metrics")
def metrics():
    """Prometheus text format: webhook latency, calls and options, queue depth, job failures."""
    from ivr.metrics import render

    body, content_type = render()
    return body, 200, {"Content-Type": content_type}


@bp.get("/audio/<path:filename>")
def prompt_audio(filename: str):
    """Recorded prompts named by flows (public: they are what every caller hears)."""
    return send_from_directory(current_app.config["SETTINGS"].flows_dir / "audio", filename)
