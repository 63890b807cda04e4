"""Agents' call recordings go through the generic pipeline: stored once, downloaded, transcribed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr import db
from ivr.agents.models import Agent, CallRecording
from ivr.calls.models import Call
from ivr.staff.models import User
from tests.conftest import PUBLIC_URL
from tests.voice.test_security import sign

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test

SID = "CA" + "7" * 32


@pytest.fixture
def live(make_live_app):
    return make_live_app()  # no speech model: transcription waits for one


def add_agent(app) -> int:
    with app.app_context():
        user = User(username="zhao", role="agent")
        user.set_password("correct horse 12333")
        agent = Agent(user=user, centre="0432", agent_number="1001", phone="+8643200001001")
        db.session().add(agent)
        db.session().commit()
        return agent.id


def callback(app, query: str, **fields: str):
    params = {
        "CallSid": SID,
        "AccountSid": "AC" + "0" * 32,
        "From": "+8643262012345",
        "To": "+8643112333",
        "RecordingSid": "RE" + "8" * 32,
        "RecordingStatus": "completed",
        "RecordingDuration": "6",
        "RecordingChannels": "2",
        **fields,
    }
    path = f"/voice/recording?{query}"
    return app.test_client().post(
        path, data=params, headers={"X-Twilio-Signature": sign(PUBLIC_URL + path, params)}
    )


def stored(app) -> list[CallRecording]:
    with app.app_context():
        return list(db.session().scalars(select(CallRecording)))


def test_an_agent_call_recording_is_downloaded_once_and_waits_for_transcription(live, media):
    agent_id = add_agent(live)
    for _ in range(3):  # Twilio retries
        response = callback(
            live, f"kind=agent-call&agent={agent_id}", RecordingUrl=media.url("ko_dual_8k")
        )
        assert response.status_code == 204
    live.extensions["ivr.jobs"].drain()
    [recording] = stored(live)
    with live.app_context():
        call = db.session().scalars(select(Call).where(Call.sid == SID)).one()
    assert (recording.agent_id, recording.call_id, recording.call_sid) == (agent_id, call.id, SID)
    assert recording.download_status == "downloaded"
    assert recording.audio_path.startswith("agent-call/")
    assert recording.sha256 == media.sha256("ko_dual_8k")
    assert media.hits["ko_dual_8k"] == 1
    assert recording.transcript_status == "waiting-for-model"  # queued, and told why it waits


def test_an_unknown_agent_leaves_the_recording_unassigned(live, media):
    assert callback(live, "kind=agent-call&agent=999", RecordingUrl="").status_code == 204
    [recording] = stored(live)
    assert recording.agent_id is None and recording.download_status == "pending"


def test_absent_recordings_are_marked_and_not_fetched(live, media):
    response = callback(live, "kind=agent-call", RecordingStatus="absent", RecordingDuration="0")
    assert response.status_code == 204
    [recording] = stored(live)
    assert recording.download_status == "failed" and "nothing recorded" in recording.download_error
    assert sum(media.hits.values()) == 0


def test_unknown_recording_kinds_are_refused(live):
    assert callback(live, "kind=secret").status_code == 400
    assert stored(live) == []
