"""Serving a stored recording to the browser's player, with Range support and an audit row.

Used by the voicemail inbox and the inspection pages. The file must have been
downloaded and must lie inside the recordings directory (404 otherwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from flask import Response, abort, current_app, request, send_file

from ivr import db
from webapp import audit


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

    A player fetches one listen in several Range requests: only a request from
    the start is audited. A HEAD request is audited as a listen only with
    ``listen_on_head`` (the inspection pages do, the voicemail inbox does not).
    """
    path = recording_file(recording, f"{object_type} {object_id}")
    if request.method == "GET" or listen_on_head:
        if starts_a_listen(request.headers.get("Range")):
            audit.record("listen", object_type, object_id, **detail)
            db.session().commit()
    return send_file(path, conditional=True, mimetype=mimetype)


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
    """Whether a request with this Range header starts a listen (no Range, or from byte 0)."""
    if not range_header:
        return True
    return range_header.replace(" ", "").lower().startswith("bytes=0-")
