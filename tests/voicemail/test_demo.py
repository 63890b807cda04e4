"""``ivr voicemail demo`` (run by ``ivr dev demo``): messages with real audio in the inbox, once."""

from __future__ import annotations

import shutil
import wave

import pytest
from sqlalchemy import select

from ivr.jobs.models import Job
from ivr.logs import mask_number
from ivr.registry import registry
from ivr.staff.models import User
from ivr.voicemail.cli import demo_command
from ivr.voicemail.demo import MESSAGES, TONE_NOTE
from ivr.voicemail.models import Voicemail
from tests.harness import PASSWORD, log_in


def staff_client(app, db_session):
    user = User(username="clerk", role="staff", display_name="Clerk")
    user.set_password(PASSWORD)
    db_session.add(user)
    db_session.commit()
    client = app.test_client()
    log_in(client, "clerk")
    return client


def test_the_demo_leaves_messages_staff_can_read_and_hear(app, runner, db_session):
    assert demo_command in registry(app).demos  # `ivr dev demo`, the first scripts/serve
    result = runner.invoke(args=["voicemail", "demo", "--tones"])
    assert result.exit_code == 0, result.output
    assert f"demo voicemails: {len(MESSAGES)} new (tone bursts" in result.output

    staff = staff_client(app, db_session)
    inbox = staff.get("/staff/voicemail").get_data(as_text=True)
    for message in MESSAGES:
        assert mask_number(message.caller) in inbox
    stored = db_session.scalars(select(Voicemail).order_by(Voicemail.id)).all()
    assert len(stored) == len(MESSAGES)
    first = stored[0]
    assert first.transcript_text == MESSAGES[0].text
    page = staff.get(f"/staff/voicemail/{first.id}").get_data(as_text=True)
    assert MESSAGES[0].text in page and TONE_NOTE in page
    audio_file = app.config["SETTINGS"].recordings_dir / first.audio_path
    with wave.open(str(audio_file)) as audio:
        assert audio.getnframes() / audio.getframerate() == pytest.approx(first.duration)
        assert first.duration > 3
    with staff.get(f"/staff/voicemail/{first.id}/audio") as response:
        assert response.status_code == 200 and response.data == audio_file.read_bytes()

    again = runner.invoke(args=["voicemail", "demo", "--tones"])
    assert "demo voicemails: 0 new" in again.output
    assert len(db_session.scalars(select(Voicemail)).all()) == len(MESSAGES)


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")
def test_spoken_demo_messages_go_to_the_transcription_queue(app, runner, db_session):
    result = runner.invoke(args=["voicemail", "demo"])
    assert result.exit_code == 0, result.output
    assert "spoken by espeak-ng" in result.output
    assert {m.transcript_status for m in db_session.scalars(select(Voicemail))} == {"pending"}
    queued = db_session.scalars(select(Job.task)).all()
    assert queued.count("recording.transcribe") == len(MESSAGES)
