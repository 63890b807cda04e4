"""What the voice webhooks' voicemail events and recording callbacks do to the database.

Both callbacks of a message (the <Record> action, whose events name it, and
the recording status callback) may come first, and either may be retried:
each upserts the message by its recording SID (``ivr.recordings.callbacks``).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from ivr.calls.events import Event, Job
from ivr.calls.models import Call
from ivr.recordings import callbacks
from ivr.recordings.hosts import MediaHosts
from ivr.voicemail.models import Voicemail

EVENT_KINDS = frozenset(
    {"voicemail-recorded", "voicemail-empty", "voicemail-discarded", "voicemail-kept"}
)


def _media_hosts() -> MediaHosts:
    return current_app.config["SETTINGS"].media_hosts


def upsert(db: Session, recording_sid: str, call: Call) -> Voicemail:
    return callbacks.upsert(
        db,
        Voicemail,
        recording_sid,
        call_sid=call.sid,
        call_id=call.id,
        caller=call.from_number,
        locale=call.locale,
    )


def apply_events(db: Session, call: Call, events: list[Event]) -> list[Job]:
    jobs: list[Job] = []
    for event in events:
        if event.kind not in EVENT_KINDS:
            continue
        message = upsert(db, event.detail["recording_sid"], call)
        if event.kind == "voicemail-recorded":
            message.duration = message.duration or float(event.detail.get("duration") or 0)
            db.flush()
            jobs += callbacks.set_media(db, message, event.detail.get("url", ""), _media_hosts())
        elif event.kind == "voicemail-empty":
            message.state = "empty"
        elif event.kind == "voicemail-discarded":
            message.state = "discarded"
    return jobs


def _empty(message: Voicemail) -> None:
    message.state = "empty"


def apply_recording_callback(
    db: Session, call: Call, form: dict[str, str], _args: dict[str, str]
) -> list[Job]:
    """The recording status callback of a message: completed (with the URL), absent or failed."""
    message = upsert(db, form["RecordingSid"], call)
    return callbacks.apply_callback(db, message, form, _media_hosts(), on_empty=_empty)
