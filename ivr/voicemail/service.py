"""What the voice webhooks' voicemail events and recording callbacks do to the database.

Both Twilio callbacks (the <Record> action and the recording status callback)
may come first, and either may be retried: each upserts the row by
RecordingSid, so the message exists from the first one.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.calls.models import Call
from ivr.flows.turn import Event
from ivr.recordings.media import MediaRefused, check_url
from ivr.voicemail.models import Voicemail

log = logging.getLogger("ivr.voicemail")
MAX_URL = 512  # the media_url column
EVENT_KINDS = frozenset(
    {"voicemail-recorded", "voicemail-empty", "voicemail-discarded", "voicemail-kept"}
)


def upsert(db: Session, recording_sid: str, call: Call | None, call_sid: str) -> Voicemail:
    message = db.scalar(select(Voicemail).where(Voicemail.recording_sid == recording_sid))
    if message is not None:
        return message
    try:
        with db.begin_nested():
            message = Voicemail(recording_sid=recording_sid, call_sid=call_sid)
            if call is not None:
                message.call_id, message.caller, message.locale = (
                    call.id,
                    call.from_number,
                    call.locale,
                )
            db.add(message)
    except IntegrityError:
        message = db.scalars(
            select(Voicemail).where(Voicemail.recording_sid == recording_sid)
        ).one()
    return message


def set_media(message: Voicemail, url: str) -> list[tuple]:
    """Remember where the audio is; the jobs to run once committed."""
    if not url or message.download_status == "downloaded" or message.media_url:
        return []
    try:
        if len(url) > MAX_URL:
            raise MediaRefused(f"recording URL longer than {MAX_URL} characters")
        message.media_url = url
        check_url(url, current_app.config["SETTINGS"].media_hosts)
    except MediaRefused as exc:
        message.download_status, message.download_error = "refused", str(exc)
        log.warning("refused to fetch recording %s: %s", message.recording_sid, exc)
        return []
    return [("recording.download", "voicemail", message.id)]


def apply_events(db: Session, call: Call, events: list[Event]) -> list[tuple]:
    jobs: list[tuple] = []
    for event in events:
        if event.kind not in EVENT_KINDS:
            continue
        message = upsert(db, event.detail["recording_sid"], call, call.sid)
        if event.kind == "voicemail-recorded":
            message.duration = message.duration or float(event.detail.get("duration") or 0)
            db.flush()
            jobs += set_media(message, event.detail.get("url", ""))
        elif event.kind == "voicemail-empty":
            message.state = "empty"
        elif event.kind == "voicemail-discarded":
            message.state = "discarded"
    return jobs


def apply_recording_callback(db: Session, call: Call, form: dict[str, str]) -> list[tuple]:
    """Twilio's recordingStatusCallback: completed (with the URL), absent or failed."""
    message = upsert(db, form["RecordingSid"], call, call.sid)
    status = form.get("RecordingStatus", "completed")
    duration = form.get("RecordingDuration", "")
    if duration.isdigit() and message.duration is None:
        message.duration = float(duration)
    if status == "absent" or (duration.isdigit() and int(duration) < 1):
        message.state = "empty"
        return []
    if status != "completed":
        message.download_status, message.download_error = "failed", f"Twilio: recording {status}"
        return []
    db.flush()
    return set_media(message, form.get("RecordingUrl", ""))
