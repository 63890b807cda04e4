"""Whose call is it: the calls an inspector sampled, the calls an agent took.

Admins and team leaders see every call (the web layer's permission table);
these answer for the others, from the rows alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ivr.agents.models import Agent, CallRecording
from ivr.analytics.trace import agent_ids_in
from ivr.calls.models import Call, CallEvent
from ivr.inspection.models import SampledCall


def _recordings_of(call: Call):
    return or_(CallRecording.call_id == call.id, CallRecording.call_sid == call.sid)


def sampled_by(session: Session, call: Call, user_id: int) -> bool:
    """Whether the inspector drew one of the call's recordings (a redrawn one too:
    the inspector's sample page keeps it as history)."""
    query = (
        select(SampledCall.id)
        .join(CallRecording, SampledCall.recording_id == CallRecording.id)
        .where(SampledCall.inspector_id == user_id, _recordings_of(call))
        .limit(1)
    )
    return session.scalar(query) is not None


def agent_of(session: Session, user_id: int) -> Agent | None:
    return session.scalar(select(Agent).where(Agent.user_id == user_id))


def taken_by(
    session: Session, call: Call, agent: Agent, events: Iterable[CallEvent] | None = None
) -> bool:
    """Whether the call was put through to the agent (an event naming them: dialled,
    claimed, answered) or their recording of it is stored."""
    if events is None:
        events = session.scalars(select(CallEvent).where(CallEvent.call_id == call.id))
    if agent.id in agent_ids_in(events):
        return True
    query = (
        select(CallRecording.id)
        .where(CallRecording.agent_id == agent.id, _recordings_of(call))
        .limit(1)
    )
    return session.scalar(query) is not None
