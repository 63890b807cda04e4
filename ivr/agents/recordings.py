"""Agents' call recordings: Twilio's recordingStatusCallback for a recorded ``<Dial>``.

The callback URL names the kind (``?kind=agent-call``) and, for an agent of a
centre, the agent (``&agent=12``); Twilio signs the URL, so neither can be
forged. Each callback upserts the CallRecording by RecordingSid and queues the
generic download (then transcription) job: what quality inspectors grade.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.agents.models import Agent, CallRecording
from ivr.calls.models import Call
from ivr.recordings.media import MediaRefused, check_url

log = logging.getLogger("ivr.agents")
KIND = "agent-call"


def agent_of(args: dict[str, str]) -> int | None:
    value = args.get("agent", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def upsert(db: Session, recording_sid: str, call: Call, agent_id: int | None) -> CallRecording:
    recording = db.scalar(select(CallRecording).where(CallRecording.recording_sid == recording_sid))
    if recording is not None:
        return recording
    if agent_id is not None and db.get(Agent, agent_id) is None:
        agent_id = None  # the agent was removed since the call
    try:
        with db.begin_nested():
            recording = CallRecording(
                recording_sid=recording_sid,
                call_sid=call.sid,
                call_id=call.id,
                agent_id=agent_id,
                caller=call.from_number,
                locale=call.locale,
                started_at=call.started_at,
            )
            db.add(recording)
    except IntegrityError:  # a retried callback got there first
        recording = db.scalars(
            select(CallRecording).where(CallRecording.recording_sid == recording_sid)
        ).one()
    return recording


def apply_recording_callback(
    db: Session, call: Call, form: dict[str, str], args: dict[str, str]
) -> list[tuple]:
    """Store (once) what the callback says; the jobs to run after the commit."""
    recording = upsert(db, form["RecordingSid"], call, agent_of(args))
    status = form.get("RecordingStatus", "completed")
    duration = form.get("RecordingDuration", "")
    if duration.isdigit() and recording.duration is None:
        recording.duration = float(duration)
    if status == "absent" or (duration.isdigit() and int(duration) < 1):
        recording.download_status, recording.download_error = "failed", "Twilio: nothing recorded"
        return []
    if status != "completed":
        recording.download_status = "failed"
        recording.download_error = f"Twilio: recording {status}"
        return []
    url = form.get("RecordingUrl", "")
    if not url or recording.media_url or recording.download_status == "downloaded":
        return []
    recording.media_url = url
    try:
        check_url(url, current_app.config["SETTINGS"].media_hosts)
    except MediaRefused as exc:
        recording.download_status, recording.download_error = "refused", str(exc)
        log.warning("refused to fetch agent recording %s: %s", recording.recording_sid, exc)
        return []
    db.flush()
    return [("recording.download", KIND, recording.id)]
