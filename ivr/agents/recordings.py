"""Agents' call recordings: the recording status callback of a recorded ``<Dial>``.

The callback URL names the kind (``?kind=agent-call``) and, for an agent of a
centre, the agent (``&agent=12``); Twilio signs the URL, so neither can be
forged. Each callback upserts the CallRecording by RecordingSid and queues the
generic download (then transcription) job: what quality inspectors grade.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from ivr.agents.models import Agent, CallRecording
from ivr.calls.events import Job
from ivr.calls.models import Call
from ivr.params import whole_number
from ivr.recordings import callbacks

KIND = "agent-call"


def agent_of(args: dict[str, str]) -> int | None:
    return whole_number(args.get("agent", ""))


def _nothing_recorded(recording: CallRecording) -> None:
    recording.download_status, recording.download_error = "failed", "Twilio: nothing recorded"


def apply_recording_callback(
    db: Session, call: Call, form: dict[str, str], args: dict[str, str]
) -> list[Job]:
    """Store (once) what the callback says; the jobs to run after the commit."""
    agent_id = agent_of(args)
    if agent_id is not None and db.get(Agent, agent_id) is None:
        agent_id = None  # the agent was removed since the call
    recording = callbacks.upsert(
        db,
        CallRecording,
        form["RecordingSid"],
        call_sid=call.sid,
        call_id=call.id,
        agent_id=agent_id,
        caller=call.from_number,
        locale=call.locale,
        started_at=call.started_at,
    )
    media_hosts = current_app.config["SETTINGS"].media_hosts
    return callbacks.apply_callback(db, recording, form, media_hosts, on_empty=_nothing_recorded)
