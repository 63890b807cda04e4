"""Template filters and globals: centre-local times, durations, roles, ``can("…")``."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app

from webapp.access import ROLE_LABELS, can


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time in the centre's time zone (``IVR_TIMEZONE``)."""
    if value is None:
        return ""
    return value.astimezone(current_app.config["SETTINGS"].timezone).strftime(fmt)


def duration(seconds: float | None) -> str:
    """``65.2`` -> ``1:05``; unknown -> ``—``."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(duration, "duration")
    app.add_template_global(can, "can")
    app.add_template_global(ROLE_LABELS, "ROLE_LABELS")
