"""Agents' call recordings the switch wrote (Somleng's Dial cannot record): imported from a folder."""

from __future__ import annotations

import json
import logging
import os
import time
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr import db, jobs
from ivr.agents.imports import TASK, import_folder
from ivr.agents.models import Agent, CallRecording
from ivr.calls.models import Call, CallEvent
from ivr.inspection.sampling import eligible_ids
from ivr.jobs.models import Job
from ivr.logs import KeyValueFormatter
from ivr.speech.audio import load_audio
from ivr.staff.models import User

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test

TWILIO_SID = "CA" + "5" * 32
SOMLENG_SID = "0f8b1c2e-4d6a-4b1e-9c3d-2a7f5e8b9c10"  # Somleng's call ids are UUIDs
CALLER = "+8643262012345"
STARTED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
LEFT, RIGHT = 1000, -2000  # sample values: which channel is which after storing


@pytest.fixture(autouse=True)
def office_hours():
    """Real time here (the folder's files carry real modification times)."""


@pytest.fixture
def live(make_live_app):
    return make_live_app(backoff_scale=1)  # no speech model: transcription waits for one


@pytest.fixture
def folder(tmp_path) -> Path:
    path = tmp_path / "pbx"
    path.mkdir()
    return path


def add_agent(app, username: str, number: str) -> int:
    with app.app_context():
        user = User(username=username, role="agent")
        user.set_password("correct horse 12333")
        agent = Agent(user=user, centre="0432", agent_number=number, phone=f"+86432000{number}")
        db.session().add(agent)
        db.session().commit()
        return agent.id


def put_through(app, sid: str, *legs: tuple[int, str | None]) -> None:
    """A call the agent node put through to each (agent id, how the leg ended) in turn."""
    with app.app_context():
        session = db.session()
        call = Call(sid=sid, from_number=CALLER, to_number="+8643112333", locale="zh-CN")
        call.started_at = STARTED
        session.add(call)
        session.flush()
        for i, (agent, result) in enumerate(legs):
            session.add(
                CallEvent(
                    call_id=call.id,
                    key=f"d{i}",
                    kind="agent-dial",
                    detail={"agent": agent, "number": "?", "centre": "0432"},
                )
            )
            if result is not None:
                session.add(
                    CallEvent(
                        call_id=call.id,
                        key=f"r{i}",
                        kind="connect-result",
                        detail={"result": result, "agent": agent},
                    )
                )
        session.commit()


def write_wav(path: Path, channels: int = 2, seconds: float = 2.0, rate: int = 8000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = b"".join(v.to_bytes(2, "little", signed=True) for v in (LEFT, RIGHT)[:channels])
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(frame * int(seconds * rate))
    return settle(path)


def settle(path: Path) -> Path:
    """As if written a minute ago."""
    past = time.time() - 60
    os.utime(path, (past, past))
    return path


def run_import(app, folder: Path, *options: str) -> list[str]:
    result = app.test_cli_runner().invoke(args=["recordings", "import", str(folder), *options])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def recordings(app) -> list[CallRecording]:
    with app.app_context():
        return list(db.session().scalars(select(CallRecording).order_by(CallRecording.id)))


def test_a_file_named_with_the_call_id_is_stored_transcribed_and_sampled(live, folder):
    agent = add_agent(live, "zhao", "1024")
    put_through(live, TWILIO_SID, (agent, "completed"))
    source = write_wav(folder / "20261123" / f"{TWILIO_SID}_1024.wav", seconds=3)

    lines = run_import(live, folder)

    [recording] = recordings(live)
    assert lines == [
        f"20261123/{TWILIO_SID}_1024.wav: imported (call {TWILIO_SID}, agent 1024) "
        f"as recording {recording.id}",
        "1 imported, 0 skipped, 0 rejected",
    ]
    assert not source.exists()  # stored: out of the PBX's folder
    assert (recording.call_sid, recording.agent_id, recording.caller) == (TWILIO_SID, agent, CALLER)
    assert recording.download_status == "downloaded" and recording.duration == 3.0
    assert recording.audio_path.startswith("agent-call/2026/11/23/")
    stored = live.config["SETTINGS"].recordings_dir / recording.audio_path
    assert [c.label for c in load_audio(stored)] == ["caller", "agent"]  # two channels kept

    live.extensions["ivr.jobs"].drain()  # the transcription job was queued, like a Dial's
    [recording] = recordings(live)
    assert recording.transcript_status == "waiting-for-model"
    with live.app_context():
        zone = live.config["SETTINGS"].timezone
        assert eligible_ids(db.session(), agent, "2026-11", zone, 1.0) == [recording.id]


def test_a_sidecar_names_a_somleng_call_its_agent_and_channel_order(live, folder):
    first = add_agent(live, "zhao", "1024")
    second = add_agent(live, "qian", "1025")
    put_through(live, SOMLENG_SID, (first, "no-answer"), (second, "completed"))
    source = write_wav(folder / "rec-0001.wav", seconds=1)
    sidecar = folder / "rec-0001.wav.json"
    answered = datetime(2026, 11, 23, 2, 1, 30, tzinfo=UTC)
    sidecar.write_text(
        json.dumps(
            {
                "call_sid": SOMLENG_SID.upper(),  # as some templates print it
                "agent": "1025",
                "channels": ["agent", "caller"],  # recorded on the agent's leg
                "started_at": answered.timestamp(),
            }
        )
    )
    settle(sidecar)

    assert run_import(live, folder)[0].endswith(
        f"imported (call {SOMLENG_SID}, agent 1025) as recording {recordings(live)[0].id}"
    )

    [recording] = recordings(live)
    assert (recording.call_sid, recording.agent_id) == (SOMLENG_SID, second)
    assert recording.started_at == answered
    assert not source.exists() and not sidecar.exists()
    stored = live.config["SETTINGS"].recordings_dir / recording.audio_path
    with wave.open(str(stored), "rb") as audio:
        first_frame = audio.readframes(1)
    # The agent was on the left in the file: stored with the caller on the left.
    assert first_frame == RIGHT.to_bytes(2, "little", signed=True) + LEFT.to_bytes(
        2, "little", signed=True
    )


def test_without_a_named_agent_the_one_who_answered_the_call_is_taken(live, folder):
    first = add_agent(live, "zhao", "1024")
    second = add_agent(live, "qian", "1025")
    put_through(live, SOMLENG_SID, (first, "no-answer"), (second, "completed"))
    write_wav(folder / f"{SOMLENG_SID}.wav", channels=1)

    run_import(live, folder)

    [recording] = recordings(live)
    assert recording.agent_id == second
    stored = live.config["SETTINGS"].recordings_dir / recording.audio_path
    assert [c.label for c in load_audio(stored)] == ["mono"]


def test_files_that_match_no_call_and_agent_are_set_aside_with_their_reason(live, folder, caplog):
    agent = add_agent(live, "zhao", "1024")
    other = add_agent(live, "qian", "1025")
    put_through(live, TWILIO_SID, (agent, "no-answer"), (other, "completed"))
    unknown = "CA" + "9" * 32
    write_wav(folder / f"8643262012345_{unknown}.wav")  # a caller's number in the name
    write_wav(folder / "nameless.wav")
    write_wav(folder / f"{TWILIO_SID}_1024.wav")
    write_wav(folder / f"{TWILIO_SID}_7777.wav")
    (folder / "noise.wav").write_bytes(b"RIFF....WAVEnot audio")
    settle(folder / "noise.wav")
    write_wav(folder / "with-sidecar.wav")
    (folder / "with-sidecar.wav.json").write_text('{"call_sid": "12345"}')
    settle(folder / "with-sidecar.wav.json")

    with caplog.at_level(logging.WARNING, logger="ivr.agents"):
        lines = run_import(live, folder)

    assert lines == [
        f"8643262012345_{unknown}.wav: rejected (no call {unknown} in the calls table), "
        "moved to rejected/",
        f"{TWILIO_SID}_1024.wav: rejected (agent 1024 did not answer call {TWILIO_SID} "
        "(no-answer)), moved to rejected/",
        f"{TWILIO_SID}_7777.wav: rejected (no agent numbered 7777), moved to rejected/",
        "nameless.wav: rejected (no call id (CA… or a UUID) in the file name, and there is "
        "no sidecar), moved to rejected/",
        "noise.wav: rejected (not a PCM WAV file), moved to rejected/",
        "with-sidecar.wav: rejected (the sidecar's call_sid is not a call id (CA… or a "
        "UUID)), moved to rejected/",
        "0 imported, 0 skipped, 6 rejected",
    ]
    assert recordings(live) == []
    assert sorted(p.name for p in folder.iterdir()) == ["rejected"]  # none dropped
    rejected = folder / "rejected"
    assert (rejected / "with-sidecar.wav.json").exists()
    reason = (rejected / f"{TWILIO_SID}_7777.wav.reason.txt").read_text()
    assert reason == "no agent numbered 7777\n"
    logged = [KeyValueFormatter().format(r) for r in caplog.records]
    assert len(logged) == 6 and all("set aside" in line for line in logged)
    assert not any("43262012345" in line for line in logged)  # the number is masked


def test_importing_the_same_file_again_stores_nothing_twice(live, folder):
    agent = add_agent(live, "zhao", "1024")
    put_through(live, TWILIO_SID, (agent, "completed"))
    source = write_wav(folder / f"{TWILIO_SID}_1024.wav")
    copy = source.read_bytes()
    run_import(live, folder)
    [recording] = recordings(live)

    source.write_bytes(copy)  # e.g. the PBX's export copied again
    settle(source)
    lines = run_import(live, folder)

    assert (
        lines[0] == f"{TWILIO_SID}_1024.wav: skipped (already imported as recording {recording.id})"
    )
    assert [r.id for r in recordings(live)] == [recording.id]
    assert not source.exists()


def test_a_file_still_being_written_waits_until_it_settles(live, folder):
    agent = add_agent(live, "zhao", "1024")
    put_through(live, TWILIO_SID, (agent, "completed"))
    path = folder / f"{TWILIO_SID}_1024.wav"
    writer = wave.open(str(path), "wb")  # as the switch records: the header grows with it
    writer.setnchannels(2)
    writer.setsampwidth(2)
    writer.setframerate(8000)
    writer.writeframes(b"\x00\x00" * 2 * 8000)

    def attempt(now: float) -> str:
        with live.app_context():
            [outcome] = import_folder(folder, settle=10, now=now)
        return f"{outcome.status}: {outcome.detail}"

    assert attempt(time.time()) == "skipped: still being written (changed in the last seconds)"
    quiet = path.stat().st_mtime + 11  # unchanged for the settle period, but still open
    assert attempt(quiet) == "skipped: still open for writing"
    writer.writeframes(b"\x00\x00" * 2 * 8000)
    writer.close()
    assert attempt(time.time()).startswith("skipped: still being written")
    assert recordings(live) == []

    assert attempt(path.stat().st_mtime + 10) == "imported: "
    [recording] = recordings(live)
    assert recording.duration == 2.0  # all of it


def test_a_dry_run_moves_stores_and_changes_nothing(live, folder):
    agent = add_agent(live, "zhao", "1024")
    put_through(live, TWILIO_SID, (agent, "completed"))
    write_wav(folder / f"{TWILIO_SID}.wav")
    write_wav(folder / "nameless.wav")

    lines = run_import(live, folder, "--dry-run")

    assert lines[:2] == [
        f"{TWILIO_SID}.wav: would be imported (call {TWILIO_SID}, agent 1024)",
        "nameless.wav: would be rejected (no call id (CA… or a UUID) in the file name, and "
        "there is no sidecar)",
    ]
    assert recordings(live) == []
    assert sorted(p.name for p in folder.iterdir()) == [f"{TWILIO_SID}.wav", "nameless.wav"]


def test_the_watched_folder_is_served_by_the_in_process_jobs_thread(make_live_app, folder):
    app = make_live_app(
        backoff_scale=1, IVR_RECORDINGS_IMPORT_DIR=str(folder), IVR_RECORDINGS_IMPORT_SETTLE="1"
    )
    agent = add_agent(app, "zhao", "1024")
    put_through(app, TWILIO_SID, (agent, "completed"))
    source = write_wav(folder / f"{TWILIO_SID}_1024.wav")
    queue = app.extensions["ivr.jobs"]

    queue.start()  # as in every web worker without Redis
    try:
        deadline = time.monotonic() + 30
        while source.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        assert queue.stop(10)

    [recording] = recordings(app)
    assert recording.agent_id == agent
    with app.app_context():  # the chain goes on: its next look is queued, once

        def waiting() -> set[str]:
            return set(db.session().scalars(select(Job.job_key).where(Job.task == TASK)))

        chain = waiting()
        assert len(chain) == 1
        jobs.schedule(TASK)
        jobs.schedule(TASK)
        # Both land in one slot: the chain's own (nothing new), or, if a second has
        # turned since the chain queued its look, the one after it.
        assert len(waiting() - chain) <= 1


def test_the_worker_starts_the_watched_folder_once_however_often_it_is_swept(
    make_live_app, folder, redis_url
):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    app = make_live_app(REDIS_URL=redis_url, IVR_RECORDINGS_IMPORT_DIR=str(folder))
    with app.app_context():
        first = jobs.sweep_all()
        jobs.sweep_all()  # a second worker starting
    assert first[f"{TASK} (every)"] == 1
    connection = app.extensions["ivr.jobs"].connection
    queued = Queue("default", connection=connection).job_ids
    scheduled = ScheduledJobRegistry("default", connection=connection).get_job_ids()
    assert len([j for j in queued + scheduled if j.startswith("agents-import-recordings")]) == 1


def test_a_call_walked_to_an_agent_matches_the_file_the_switch_wrote(
    app, agents, make_phone, folder, at
):
    at(2026, 11, 23, 10, 0)  # a Monday morning: option 0 is open
    agent = agents.add("zhao")
    call = make_phone(dial_recordings_url="").call(["0"])  # nothing recorded by the Dial
    write_wav(folder / f"{call.sid}.wav")

    lines = run_import(app, folder)

    [recording] = [r for r in recordings(app) if r.recording_sid.startswith("PBX")]
    assert lines[0] == (
        f"{call.sid}.wav: imported (call {call.sid}, agent {agent.agent_number}) "
        f"as recording {recording.id}"
    )
    assert recording.agent_id == agent.id
