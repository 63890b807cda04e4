"""The voicemail inbox, a message's page, its audio and handling (spec §6)."""

from __future__ import annotations

import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr.logs import mask_number
from ivr.staff.models import AuditEvent, User
from ivr.voicemail.models import Voicemail
from tests.webapp.conftest import csrf_token, log_in

NUMBER = "+8613904311234"
MASKED = mask_number(NUMBER)  # +861****234
WAITING = (
    "waiting for model — no speech model is configured for zh-CN; "
    "an operator runs `ivr models fetch zh-CN`"
)
TRANSCRIPT = {
    "locale": "zh-CN",
    "model": "vosk-model-small-cn-0.22",
    "text": "我想 咨询 养老 保险",
    "channels": [{"label": "caller", "text": "我想 咨询 养老 保险", "duration": 3.2}],
    "words": [
        {"word": "我想", "start": 0.3, "end": 0.7, "conf": 0.98, "channel": "caller"},
        {"word": "咨询", "start": 0.7, "end": 1.2, "conf": 0.91, "channel": "caller"},
        {"word": "养老", "start": 1.4, "end": 1.9, "conf": 0.87, "channel": "caller"},
        {"word": "保险", "start": 1.9, "end": 2.4, "conf": 0.95, "channel": "caller"},
    ],
    "segments": [],
    "duration": 3.2,
    "convert_seconds": 0.01,
    "decode_seconds": 0.2,
    "sample_rate": 16000,
    "real_time_factor": 0.07,
}


def audits(data, action: str) -> list[AuditEvent]:
    with data() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def write_wav(path: Path, seconds: float = 1.0) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * int(8000 * seconds))
    return path.read_bytes()


@pytest.fixture
def stored(app, make_voicemail) -> tuple[int, bytes]:
    """A downloaded, transcribed message and its audio bytes."""
    relative = "voicemail/2026/11/23/RE1.wav"
    audio = write_wav(app.config["SETTINGS"].recordings_dir / relative)
    message_id = make_voicemail(
        download_status="downloaded",
        audio_path=relative,
        transcript_status="done",
        transcript_text=TRANSCRIPT["text"],
        transcript=TRANSCRIPT,
        transcript_model=TRANSCRIPT["model"],
    )
    return message_id, audio


# --- who may see the inbox -------------------------------------------------
def test_the_inbox_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/staff/voicemail")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["agent", "inspector"])
def test_roles_without_a_need_get_403(app, make_user, make_voicemail, role):
    message_id = make_voicemail()
    make_user("zhao", role)
    client = app.test_client()
    log_in(client, "zhao")

    for url in (
        "/staff/voicemail",
        f"/staff/voicemail/{message_id}",
        f"/staff/voicemail/{message_id}/audio",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert NUMBER not in response.get_data(as_text=True)
    assert "留言 Voicemail" not in client.get("/staff/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "staff", "team_leader"])
def test_staff_roles_see_the_inbox(app, make_user, role):
    make_user("zhao", role)
    client = app.test_client()
    log_in(client, "zhao")

    assert client.get("/staff/voicemail").status_code == 200


# --- the inbox -------------------------------------------------------------
def test_the_inbox_lists_a_message_with_the_caller_masked(staff_client, make_voicemail):
    make_voicemail(transcript_status="waiting-for-model", download_status="downloaded")

    response = staff_client.get("/staff/voicemail")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert MASKED in page and NUMBER not in page
    assert WAITING in page
    assert "2026-11-23 10:30" in page  # 02:30 UTC in the centre's time zone
    assert "0:42" in page
    assert "待处理 Unhandled" in page
    assert response.headers["Cache-Control"] == "no-store, private"


def test_the_inbox_shows_download_problems_and_a_transcript_preview(staff_client, make_voicemail):
    make_voicemail(download_status="failed", download_attempts=3, caller="+8643188881234")
    make_voicemail(download_status="refused", caller="+8643188885678")
    make_voicemail(
        download_status="downloaded", transcript_status="done", transcript_text="请 回电 " * 20
    )

    page = staff_client.get("/staff/voicemail").get_data(as_text=True)

    assert "Download failed (3 attempts)" in page
    assert "Download refused" in page
    assert ("请 回电 " * 10).strip() in page and ("请 回电 " * 20).strip() not in page
    assert "…" in page


def test_the_inbox_filters_handled_and_non_messages(staff_client, make_voicemail):
    make_voicemail(caller="+8613900000001")
    make_voicemail(caller="+8613900000002", transcript_status="failed")
    make_voicemail(caller="+8613900000003", state="discarded")
    make_voicemail(caller="+8613900000004", state="empty")
    make_voicemail(caller="+8613900000005", transcript_status="no-speech")
    handled_id = make_voicemail(caller="+8613900000006")
    _mark_handled(staff_client, handled_id)

    def callers(show: str | None) -> set[str]:
        query = {"show": show} if show else {}
        page = staff_client.get("/staff/voicemail", query_string=query).get_data(as_text=True)
        return {n for n in "123456" if mask_number(f"+861390000000{n}") in page}

    assert callers(None) == callers("unhandled") == {"1", "2"}
    assert callers("handled") == {"6"}
    assert callers("messages") == {"1", "2", "6"}
    assert callers("all") == {"1", "2", "3", "4", "5", "6"}


def test_the_inbox_is_newest_first_fifty_a_page(staff_client, data):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with data() as session:
        for i in range(51):
            session.add(
                Voicemail(
                    recording_sid=f"RE{i:032d}",
                    call_sid="CA" + "2" * 32,
                    caller=f"+86139{i:08d}",
                    created_at=start + timedelta(hours=i),
                )
            )

    first = staff_client.get("/staff/voicemail").get_data(as_text=True)
    second = staff_client.get("/staff/voicemail?page=2").get_data(as_text=True)

    assert first.count("/staff/voicemail/") - first.count("/staff/voicemail/?") >= 50
    assert first.index("2026-11-03 10:00") < first.index("2026-11-03 09:00")  # newest first
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert "2026-11-01 08:00" in second and "2026-11-01 08:00" not in first


# --- a message's page ------------------------------------------------------
def test_the_message_page_shows_the_number_and_transcript_and_is_audited(
    staff_client, stored, data
):
    message_id, _ = stored

    response = staff_client.get(f"/staff/voicemail/{message_id}")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert NUMBER in page and f'href="tel:{NUMBER}"' in page
    assert TRANSCRIPT["text"] in page
    assert "vosk-model-small-cn-0.22" in page
    assert "咨询" in page and "0.70" in page and "91%" in page  # a word and its timing
    assert f'<audio controls preload="none" src="/staff/voicemail/{message_id}/audio"' in page
    [event] = audits(data, "view")
    assert (event.object_type, event.object_id) == ("voicemail", str(message_id))
    with data() as session:
        assert event.user_id == session.scalar(select(User.id).where(User.username == "wang"))


def test_the_message_page_explains_a_missing_transcript(staff_client, make_voicemail):
    message_id = make_voicemail(
        download_status="downloaded",
        audio_path="voicemail/x.wav",
        transcript_status="waiting-for-model",
        transcript_error="zh-CN: not configured (set VOSK_MODEL_ZH_CN)",
    )

    page = staff_client.get(f"/staff/voicemail/{message_id}").get_data(as_text=True)

    assert WAITING in page
    assert "not configured (set VOSK_MODEL_ZH_CN)" in page


def test_a_message_not_yet_downloaded_has_no_player(staff_client, make_voicemail):
    message_id = make_voicemail(download_status="refused", download_error="host not allowed")

    page = staff_client.get(f"/staff/voicemail/{message_id}").get_data(as_text=True)

    assert "<audio" not in page
    assert "Download refused" in page and "host not allowed" in page
    assert staff_client.get(f"/staff/voicemail/{message_id}/audio").status_code == 404


def test_an_unknown_message_is_404(staff_client):
    assert staff_client.get("/staff/voicemail/999999").status_code == 404


# --- audio -----------------------------------------------------------------
def test_staff_can_listen_and_each_listen_is_audited_once(staff_client, stored, data):
    message_id, audio = stored
    url = f"/staff/voicemail/{message_id}/audio"

    with staff_client.get(url) as full:
        assert full.status_code == 200
        assert full.data == audio
        assert full.mimetype in ("audio/wav", "audio/x-wav")
        assert full.headers["Accept-Ranges"] == "bytes"
        assert "no-store" in full.headers["Cache-Control"]
    assert len(audits(data, "listen")) == 1

    with staff_client.get(url, headers={"Range": "bytes=0-"}) as first:
        assert first.status_code == 206
    with staff_client.get(url, headers={"Range": "bytes=1000-"}) as later:
        assert later.status_code == 206
        assert later.data == audio[1000:]
    assert len(audits(data, "listen")) == 2  # the full fetch and the player's first range


def test_audio_is_not_served_to_anonymous_visitors_or_agents(app, stored, make_user, data):
    message_id, _ = stored
    url = f"/staff/voicemail/{message_id}/audio"

    anonymous = app.test_client().get(url)
    assert anonymous.status_code in (302, 401)
    assert anonymous.data == b"" or b"RIFF" not in anonymous.data

    make_user("zhao", "agent")
    agent = app.test_client()
    log_in(agent, "zhao")
    assert agent.get(url).status_code == 403
    assert audits(data, "listen") == []


def test_audio_is_not_on_a_public_static_path(app, stored):
    client = app.test_client()
    for url in (
        "/static/webapp/../../recordings/voicemail/2026/11/23/RE1.wav",
        "/recordings/voicemail/2026/11/23/RE1.wav",
        "/static/voicemail/2026/11/23/RE1.wav",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "audio_path", ["../secret.wav", "/etc/passwd", "voicemail/../../secret.wav"]
)
def test_audio_paths_outside_the_recordings_dir_are_refused(
    app, staff_client, make_voicemail, audio_path, data
):
    recordings = app.config["SETTINGS"].recordings_dir
    write_wav(recordings.parent / "secret.wav")
    message_id = make_voicemail(download_status="downloaded", audio_path=audio_path)

    response = staff_client.get(f"/staff/voicemail/{message_id}/audio")

    assert response.status_code == 404
    assert b"RIFF" not in response.data
    assert audits(data, "listen") == []


# --- handling --------------------------------------------------------------
def _mark_handled(client, message_id: int, note: str = "已回电 Called back"):
    page = client.get(f"/staff/voicemail/{message_id}").get_data(as_text=True)
    return client.post(
        f"/staff/voicemail/{message_id}/handle",
        data={"note": note, "csrf_token": csrf_token(page)},
    )


def test_mark_handled_and_reopen(staff_client, make_voicemail, data):
    message_id = make_voicemail()

    response = _mark_handled(staff_client, message_id)

    assert response.status_code == 302
    with data() as session:
        message = session.get(Voicemail, message_id)
        wang = session.scalar(select(User).where(User.username == "wang"))
        assert message.handled_at is not None
        assert message.handled_by == wang.id
        assert message.handled_note == "已回电 Called back"
    [event] = audits(data, "handle")
    assert event.object_id == str(message_id)
    page = staff_client.get(f"/staff/voicemail/{message_id}").get_data(as_text=True)
    assert "已回电 Called back" in page and "王芳" in page

    response = staff_client.post(
        f"/staff/voicemail/{message_id}/reopen", data={"csrf_token": csrf_token(page)}
    )

    assert response.status_code == 302
    with data() as session:
        assert session.get(Voicemail, message_id).handled_at is None
    assert len(audits(data, "reopen")) == 1


def test_mark_handled_without_a_csrf_token_is_rejected(staff_client, make_voicemail, data):
    message_id = make_voicemail()

    response = staff_client.post(f"/staff/voicemail/{message_id}/handle", data={"note": "forged"})

    assert response.status_code == 400
    with data() as session:
        assert session.get(Voicemail, message_id).handled_at is None
    assert audits(data, "handle") == []


def test_handling_needs_a_staff_role(app, make_voicemail, make_user, data):
    message_id = make_voicemail()
    make_user("zhao", "agent")
    agent = app.test_client()
    log_in(agent, "zhao")
    token = csrf_token(agent.get("/staff/").get_data(as_text=True))

    response = agent.post(f"/staff/voicemail/{message_id}/handle", data={"csrf_token": token})

    assert response.status_code == 403
    with data() as session:
        assert session.get(Voicemail, message_id).handled_at is None


def test_an_empty_take_is_not_an_unhandled_message_waiting_to_download(
    staff_client, make_voicemail
):
    message_id = make_voicemail(caller="+8613900000007", state="empty", duration=0.0)
    listing = staff_client.get("/staff/voicemail", query_string={"show": "all"})
    row = listing.get_data(as_text=True).split(mask_number("+8613900000007"), 1)[1]
    row = row.split("</tr>", 1)[0]
    assert "待处理 Unhandled" not in row and "等待下载" not in row
    page = staff_client.get(f"/staff/voicemail/{message_id}").get_data(as_text=True)
    assert "空录音 Empty" in page
    assert "待处理 Unhandled" not in page and "等待下载" not in page
