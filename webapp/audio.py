"""Serving a stored recording to the browser's player, with Range support and an audit row.

Used by the voicemail inbox and the inspection pages. The file must have been
downloaded and must lie inside the recordings directory (404 otherwise).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from flask import Response, abort, current_app, request, send_file
from flask_login import current_user
from sqlalchemy import select
from werkzeug.http import parse_range_header

from ivr import db
from ivr.clock import utcnow
from ivr.staff.models import AuditEvent
from webapp import audit

# A later Range request of a player is covered by a "listen" row this recent.
LISTEN_WINDOW = timedelta(minutes=30)


class StoredRecording(Protocol):
    """A Voicemail or a CallRecording: where its download stands and where it lies."""

    download_status: str
    audio_path: str


def send_recording(
    recording: StoredRecording,
    object_type: str,
    object_id: object,
    *,
    mimetype: str | None = None,
    listen_on_head: bool = False,
    **detail: Any,
) -> Response:
    """The file of ``recording``; a "listen" audit row on ``object_type``/``object_id`` first.

    Every response that may serve the file's bytes is covered by a "listen"
    row: a request from the start (no Range, or a first range from byte 0)
    always writes one; any other request (a player's later ranges, a suffix
    range, an unparsable Range that gets the whole file) writes one unless
    this user has a "listen" row for this object from the last 30 minutes.
    A HEAD request is audited as a listen only with ``listen_on_head`` (the
    inspection pages do, the voicemail inbox does not).
    """
    path = recording_file(recording, f"{object_type} {object_id}")
    if request.method == "GET" or listen_on_head:
        if starts_a_listen(request.headers.get("Range")) or not _listened_recently(
            object_type, object_id
        ):
            audit.record("listen", object_type, object_id, **detail)
            db.session().commit()
    return send_file(path, conditional=True, mimetype=mimetype)


def _listened_recently(object_type: str, object_id: object) -> bool:
    """Whether the current user has a "listen" row for this object within the window."""
    if not current_user.is_authenticated:
        return False
    query = (
        select(AuditEvent.id)
        .where(
            AuditEvent.user_id == current_user.id,
            AuditEvent.action == "listen",
            AuditEvent.object_type == object_type,
            AuditEvent.object_id == str(object_id),
            AuditEvent.created_at >= utcnow() - LISTEN_WINDOW,
        )
        .limit(1)
    )
    return db.session().scalar(query) is not None


def recording_file(recording: StoredRecording, label: str) -> Path:
    """The stored recording, which must lie inside the recordings directory."""
    if recording.download_status != "downloaded" or not recording.audio_path:
        abort(404)
    root = current_app.config["SETTINGS"].recordings_dir.resolve()
    path = (root / recording.audio_path).resolve()
    if not path.is_relative_to(root):
        current_app.logger.warning("%s: audio path outside recordings dir", label)
        abort(404)
    if not path.is_file():
        abort(404)
    return path


def starts_a_listen(range_header: str | None) -> bool:
    """Whether a request with this Range header starts a listen (no Range, or from byte 0).

    Only a well-formed header whose first range starts at byte 0 (``bytes=0-``,
    ``bytes=00-99``) counts; other requests are audited by :func:`send_recording`
    unless a recent listen covers them.
    """
    if not range_header:
        return True
    ranges = parse_range_header(range_header)
    if ranges is None or ranges.units != "bytes" or not ranges.ranges:
        return False
    return ranges.ranges[0][0] == 0
