"""A recording status callback, stored once whatever its kind (messages, agents' calls).

Callbacks may arrive before or after the events that name the recording, and
each may be retried: every one upserts the row by its recording SID, so the
recording exists from the first one and nothing is stored twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.params import whole_number
from ivr.recordings.hosts import MediaHosts
from ivr.recordings.media import MediaRefused, check_url
from ivr.calls.events import Job

log = logging.getLogger("ivr.recordings")
MAX_URL = 512  # the media_url column
Item = TypeVar("Item")


def upsert(db: Session, model: type[Item], recording_sid: str, **fields: Any) -> Item:
    """The row for ``recording_sid``, created with ``fields`` if this is the first we hear."""
    found = select(model).where(model.recording_sid == recording_sid)  # type: ignore[attr-defined]
    item = db.scalar(found)
    if item is not None:
        return item
    try:
        with db.begin_nested():
            item = model(recording_sid=recording_sid, **fields)  # type: ignore[call-arg]
            db.add(item)
    except IntegrityError:  # a concurrent or retried callback got there first
        item = db.scalars(found).one()
    return item


def set_media(db: Session, item: Any, url: str, media_hosts: MediaHosts) -> list[Job]:
    """Remember where the audio is; the download job to run once committed."""
    if not url or item.download_status == "downloaded" or item.media_url:
        return []
    try:
        if len(url) > MAX_URL:
            raise MediaRefused(f"recording URL longer than {MAX_URL} characters")
        item.media_url = url
        check_url(url, media_hosts)
    except MediaRefused as exc:
        item.download_status, item.download_error = "refused", str(exc)
        log.warning("refused to fetch %s recording %s: %s", item.kind, item.recording_sid, exc)
        return []
    db.flush()
    return [("recording.download", item.kind, item.id)]


def apply_callback(
    db: Session,
    item: Any,
    form: dict[str, str],
    media_hosts: MediaHosts,
    on_empty: Callable[[Any], None],
) -> list[Job]:
    """What a recordingStatusCallback says: completed (with the URL), absent or failed."""
    status = form.get("RecordingStatus", "completed")
    duration = whole_number(form.get("RecordingDuration", ""))
    if duration is not None and item.duration is None:
        item.duration = float(duration)
    if status == "absent" or (duration is not None and duration < 1):
        on_empty(item)
        return []
    if status != "completed":
        item.download_status, item.download_error = "failed", f"Twilio: recording {status}"
        return []
    return set_media(db, item, form.get("RecordingUrl", ""), media_hosts)
