"""The Somleng telephony profile: chosen by IVR_TELEPHONY, identifiers and TwiML it accepts."""

from __future__ import annotations

import io
import re
import wave
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.flows import platform
from ivr.flows.turn import REF, CallState, Turn
from ivr.settings import ROOT, SettingsError, load_settings
from ivr.simulator.somleng import TwimlRejected, check
from ivr.voice.profiles import PROFILES
from ivr.voice.twiml_text import to_xml
from tests.harness import PUBLIC_URL, app_environ


def test_telephony_defaults_to_twilio(tmp_path):
    assert load_settings(app_environ("sqlite://", tmp_path)).telephony == "twilio"


def test_telephony_somleng_is_accepted(tmp_path):
    settings = load_settings(app_environ("sqlite://", tmp_path, IVR_TELEPHONY="somleng"))
    assert settings.telephony == "somleng"
    assert PROFILES[settings.telephony].platform.pause is False


def test_unknown_telephony_names_the_variable(tmp_path):
    environ = app_environ("sqlite://", tmp_path, IVR_TELEPHONY="asterisk")
    with pytest.raises(SettingsError, match="IVR_TELEPHONY='asterisk' is invalid: use one of"):
        load_settings(environ)


# --- requests: Somleng's identifiers, as strictly as Twilio's -------------------------------

CALL = "6f1c2b7e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"
RECORDING = "0b9d8c7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e"


def somleng_post(client, path: str, params: dict[str, str]):
    from tests.voice.test_security import sign

    return client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(f"{PUBLIC_URL}{path}", params)}
    )


@pytest.mark.parametrize("telephony", ["somleng"])
@pytest.mark.parametrize(
    ("sid", "status"),
    [
        (CALL, 200),
        (CALL.upper(), 400),  # Somleng writes lower case
        (CALL + "\n", 400),
        (CALL.replace("-", ""), 400),
        (f"{CALL}x", 400),
        ("CA" + "ab" * 16, 400),  # Twilio's, on a Somleng line
    ],
)
def test_call_sids_are_somlengs_uuids_whole(client, sid, status):
    params = {"CallSid": sid, "From": "+8643188881234", "To": "+8643112333"}
    assert somleng_post(client, "/voice/incoming", params).status_code == status


def test_twilio_keeps_its_own_sids(client):
    params = {"CallSid": CALL, "From": "+8643188881234", "To": "+8643112333"}
    assert somleng_post(client, "/voice/incoming", params).status_code == 400


@pytest.mark.parametrize("telephony", ["somleng"])
def test_a_somleng_recording_status_callback_is_accepted_and_a_twilio_sid_is_not(client):
    params = {
        "CallSid": CALL,
        "RecordingSid": RECORDING,
        "RecordingUrl": f"https://api.somleng.org/2010-04-01/Accounts/a/Recordings/{RECORDING}",
        "RecordingStatus": "completed",
        "RecordingDuration": "0",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }
    assert somleng_post(client, "/voice/recording", params).status_code == 204
    forged = {**params, "RecordingSid": "RE" + "ab" * 16}
    assert somleng_post(client, "/voice/recording", forged).status_code == 400


def turn_for(call_sid: str = CALL) -> Turn:
    return Turn(
        bundle=None,  # type: ignore[arg-type]
        state=CallState(node="voicemail"),
        locale="zh-CN",
        caller="",
        now=datetime.now(UTC),
        link=lambda kind, state: "",
        call_sid=call_sid,
        platform=platform.SOMLENG,
        options={"silence_url": f"{PUBLIC_URL}/voice/silence"},
    )


def test_a_record_action_without_recording_sid_is_keyed_by_its_urls_uuid():
    url = f"https://api.somleng.org/2010-04-01/Accounts/a/Recordings/{RECORDING}"
    turn = turn_for()
    assert turn.recording({"RecordingUrl": url, "RecordingDuration": "4"}) == RECORDING
    assert turn.recording({"RecordingUrl": f"{url}.wav", "RecordingDuration": "4"}) == RECORDING
    assert turn.recording({"Digits": "1"}) is None  # a Gather's answer is no recording
    # A URL naming no UUID: the same derived key on a retry, another for another call.
    other = {"RecordingUrl": "https://storage.example/x.wav", "RecordingDuration": "4"}
    key = turn.recording(other)
    assert key == turn.recording(other) != turn_for(CALL[:-1] + "c").recording(other)
    assert key and REF.fullmatch(key)
    assert turn.recording({"RecordingSid": "RE" + "ab" * 16, "RecordingUrl": url}) == (
        "RE" + "ab" * 16
    )


def test_call_state_refs_take_a_uuid_whole():
    assert CallState.from_query("voicemail", {"r": RECORDING}).ref == RECORDING
    for bad in (RECORDING.upper(), RECORDING + "0", RECORDING[:-1], f"{RECORDING}\n"):
        with pytest.raises(ValueError, match="bad reference"):
            CallState.from_query("voicemail", {"r": bad})


# --- TwiML: silence instead of <Pause>; the strict checker --------------------------------


def test_pause_is_a_played_silence_file_on_somleng_and_a_pause_on_twilio():
    turn = turn_for()
    turn.pause(3)
    twilio = replace(turn_for(), platform=platform.TWILIO)
    twilio.pause(3)
    assert to_xml(turn.response).endswith(
        f"<Response><Play>{PUBLIC_URL}/voice/silence/3.wav</Play></Response>"
    )
    assert to_xml(twilio.response).endswith('<Response><Pause length="3" /></Response>')


def test_silence_files_are_public_8khz_wavs(client):
    response = client.get("/voice/silence/2.wav")  # unsigned: the platform fetches it
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert "public" in response.headers["Cache-Control"]
    with wave.open(io.BytesIO(response.data)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getnframes()) == (8000, 1, 16000)
    assert client.get("/voice/silence/0.wav").status_code == 404
    assert client.get("/voice/silence/11.wav").status_code == 404


@pytest.mark.parametrize(
    ("twiml", "path", "reason"),
    [
        ('<Response><Pause length="1"/></Response>', "Response/Pause[1]", "Invalid element"),
        ("<Response><Enqueue>q</Enqueue></Response>", "Response/Enqueue[1]", "Invalid element"),
        (
            '<Response><Gather action="a"><Say>x</Say><Pause/></Gather></Response>',
            "Response/Gather[1]/Pause[1]",
            "Invalid element",
        ),
        (
            '<Response><Say>x</Say><Gather input="dtmf speech"/></Response>',
            "Response/Gather[1]",
            "attribute 'input'",
        ),
        ('<Response><Record trim="trim-silence"/></Response>', "Response/Record[1]", "'trim'"),
        (
            '<Response><Record recordingStatusCallbackEvent="absent"/></Response>',
            "Response/Record[1]",
            "no 'absent' callbacks",
        ),
        (
            '<Response><Dial record="record-from-answer-dual">+1</Dial></Response>',
            "Response/Dial[1]",
            "'record'",
        ),
        (
            '<Response><Connect action="a"><Stream url="wss://s"/></Connect></Response>',
            "Response/Connect[1]",
            "'action'",
        ),
        (
            '<Response><Connect><Stream url="https://s"/></Connect></Response>',
            "Response/Connect[1]/Stream[1]",
            "wss://",
        ),
        ("<Response><Dial><Client>a</Client></Dial></Response>", "Response/Dial[1]/Client[1]", ""),
        ("<Response><Say><Play>x</Play></Say></Response>", "Response/Say[1]/Play[1]", ""),
        ("<Response><Hangup>now</Hangup></Response>", "Response/Hangup[1]", "no text"),
        ("<Response><Say>a</Say><Say>b</Say><Leave/></Response>", "Response/Leave[1]", ""),
    ],
)
def test_the_strict_checker_names_the_element_somleng_would_refuse(twiml, path, reason):
    with pytest.raises(TwimlRejected, match=re.escape(path)) as failure:
        check(ET.fromstring(twiml), "https://ivr.example.test/voice/node/x")
    assert reason in str(failure.value)


def test_the_strict_checker_passes_what_somleng_runs():
    check(
        ET.fromstring(
            '<Response><Say voice="Polly.Zhiyu" language="cmn-CN" loop="1">你好</Say>'
            '<Gather action="a" method="POST" timeout="6" numDigits="1" finishOnKey="" '
            'actionOnEmptyResult="false"><Play>https://x/1.wav</Play></Gather>'
            '<Record action="a" method="POST" maxLength="120" timeout="5" playBeep="true" '
            'finishOnKey="#" recordingStatusCallback="c" recordingStatusCallbackMethod="POST"/>'
            '<Dial action="a" timeout="25" callerId="+1"><Number>+8643112300</Number>'
            "<Sip>sip:desk@pbx</Sip></Dial>"
            '<Connect><Stream url="wss://s"><Parameter name="a" value="b"/></Stream></Connect>'
            '<Redirect method="POST">https://x</Redirect><Hangup/></Response>'
        )
    )


# --- ivr flows check ----------------------------------------------------------------------


def test_flows_check_lists_prompts_somleng_cannot_speak(tmp_path, monkeypatch):
    for key, value in app_environ("sqlite://", tmp_path, IVR_TELEPHONY="somleng").items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["flows", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    welcome = line_of(ROOT / "flows" / "prompts" / "zh-CN.yaml", "welcome:")
    assert (
        f"  prompts/zh-CN.yaml:{welcome}: welcome: no audio: record or render "
        "audio/zh-CN/welcome.wav and set {play: zh-CN/welcome.wav}"
    ) in lines
    assert any("zh-CN speaks with Polly.Zhiyu" in line for line in lines)
    assert not any("prompts/en-US.yaml" in line for line in lines)  # Somleng speaks English
    assert any("node complaints: calls to the desk are not recorded" in line for line in lines)

    monkeypatch.setenv("IVR_TELEPHONY", "twilio")
    twilio = CliRunner().invoke(main, ["flows", "check"])
    assert twilio.exit_code == 0 and len(twilio.output.splitlines()) == 1


def line_of(path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)
