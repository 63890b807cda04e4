"""Option 5 end to end: the duty team leader answers, or the caller records the complaint."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr import db
from ivr.agents.models import CallRecording
from ivr.calls.models import Call
from ivr.complaints.models import Ticket
from ivr.simulator import Phone, flask_transport
from ivr.staff.models import AuditEvent
from ivr.voicemail.models import Voicemail
from tests.agents.conftest import MEDIA
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, TELEPHONY

# run again on SQLite by scripts/test; walked as Twilio and as Somleng would
pytestmark = [pytest.mark.sqlite, pytest.mark.parametrize("telephony", TELEPHONY)]

TRANSFER = "请稍等，我将您的电话转给值班班长。"
RECORD = "请在提示音后说明您要投诉或举报的事项，以及您的姓名和联系电话，录音结束请按井号键。"
SAVED = "您反映的问题我们已记录在案，会尽快处理并与您联系，谢谢您对劳动保障工作的支持。"
UNAVAILABLE = "对不起，座席繁忙或暂时无法接通。"
EMPTY = "对不起，没有录到您的留言。"
CONTINUE = "是否需要继续服务？继续服务请按1，结束通话请按2。"
DESK = "+8643112300"
CALLER = "+8643262012345"


def phone_for(client, **kwargs) -> Phone:
    return Phone(
        flask_transport(client, PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller=CALLER,
        dial_recordings_url=MEDIA,
        telephony=client.application.config["SETTINGS"].telephony,
        **kwargs,
    )


def rows(app, model) -> list:
    with app.app_context():
        return list(db.session().scalars(select(model).order_by(model.id)))


def test_in_staffed_hours_the_duty_team_leader_answers_and_a_ticket_is_open(
    app, client, at, telephony
):
    at(2026, 11, 23, 10, 0)
    call = phone_for(client).call(["5"])
    assert call.heard[2:] == [TRANSFER, "感谢您的来电，再见。"]
    [dial] = call.verbs("dial")
    assert dial.text == DESK
    assert dial.attrs["timeout"] == "25"
    if telephony == "twilio":
        assert dial.attrs["record"] == "record-from-answer-dual"
        callback = f"{PUBLIC_URL}/voice/recording?kind=agent-call"
        assert dial.attrs["recordingStatusCallback"] == callback
    else:  # Somleng's Dial records nothing: the switch does, and its files are imported
        assert "record" not in dial.attrs and "recordingStatusCallback" not in dial.attrs

    [ticket] = rows(app, Ticket)
    [stored_call] = rows(app, Call)
    assert ticket.call_id == stored_call.id and ticket.call_sid == call.sid
    assert (ticket.status, ticket.category, ticket.channel) == ("received", "complaint", "phone")
    assert ticket.owner_id is None  # the complaint desk owns it until assigned
    assert ticket.caller == CALLER
    assert ticket.due_at - ticket.opened_at == timedelta(hours=12)
    if telephony == "twilio":
        [recording] = rows(app, CallRecording)  # the conversation, for the ticket and inspectors
        assert recording.call_id == stored_call.id and recording.agent_id is None
    [created] = rows(app, AuditEvent)
    assert (created.action, created.object_id, created.user_id) == ("create", str(ticket.id), None)


def test_nobody_answers_so_the_caller_records_the_complaint(app, client, at, telephony):
    at(2026, 11, 23, 10, 0)
    phone = phone_for(client, dial_status="no-answer", recording_url=f"{MEDIA}/complaint")
    call = phone.call(["5"])
    assert call.heard[2:6] == [TRANSFER, UNAVAILABLE, RECORD, SAVED]
    assert call.heard[6] == CONTINUE
    [record] = call.verbs("record")
    assert record.attrs["recordingStatusCallback"] == f"{PUBLIC_URL}/voice/recording"
    assert record.attrs["maxLength"] == "120" and record.attrs["finishOnKey"] == "#"

    [ticket] = rows(app, Ticket)
    [message] = rows(app, Voicemail)
    assert ticket.voicemail_id == message.id
    assert message.state == "recorded" and message.caller == CALLER
    # the voicemail pipeline fetches it; Somleng's URL names the recording
    named = "" if telephony == "twilio" else f"/{message.recording_sid}"
    assert message.media_url == f"{MEDIA}/complaint{named}"
    assert message.handled_at is not None  # filed on the ticket, not left in the inbox
    assert f"#{ticket.id}" in message.handled_note
    actions = [(e.action, e.detail) for e in rows(app, AuditEvent)]
    assert actions == [
        ("create", {"channel": "phone", "call_sid": call.sid}),
        ("message", {"voicemail_id": [None, message.id]}),
    ]


def test_out_of_hours_the_complaint_is_recorded_at_once(app, client, at):
    at(2026, 11, 23, 19, 30)  # the menu offers no 5 now; a call that got here late still works
    phone = phone_for(client, recording_url=f"{MEDIA}/late")
    call_sid = phone.new_call_sid()
    status, body = phone.post(
        f"{PUBLIC_URL}/voice/node/complaints?stack=&n=7&t=0", phone.call_params(call_sid)
    )
    assert status == 200
    verbs = [(verb.tag, (verb.text or "").strip()) for verb in ET.fromstring(body)]
    assert [tag for tag, _ in verbs] == ["Say", "Record", "Redirect"]
    assert verbs[0][1] == RECORD
    [ticket] = rows(app, Ticket)
    assert ticket.call_sid == call_sid


def test_an_empty_recording_is_asked_for_again_then_the_caller_moves_on(app, client, at):
    at(2026, 11, 23, 10, 0)
    call = phone_for(client, dial_status="busy", recording_url="").call(["5"])
    assert call.heard[2:] == [TRANSFER, UNAVAILABLE, RECORD, EMPTY, RECORD, EMPTY, CONTINUE]
    [ticket] = rows(app, Ticket)  # opened at once, even without a message
    assert ticket.voicemail_id is None


def test_retried_webhooks_open_one_ticket(app, client, at):
    at(2026, 11, 23, 10, 0)
    phone = phone_for(client)
    call = phone.call(["5"])
    url, params = next((u, p) for u, p in call.requests if p.get("Digits") == "5")
    for _ in range(2):
        assert phone.post(url, params)[0] == 200
    assert len(rows(app, Ticket)) == 1


@pytest.mark.parametrize("called", ["+8643112334"])
def test_english_line_speaks_english(client, at, called):
    at(2026, 11, 23, 10, 0)
    phone = phone_for(client, called=called)
    heard = phone.call(["5"]).heard
    assert "Please hold while I put you through to the duty team leader." in heard


def test_the_recorded_complaint_is_downloaded_and_transcribed_like_voicemail(
    make_live_app, media, at
):
    at(2026, 11, 23, 10, 0)
    live = make_live_app()
    phone = phone_for(
        live.test_client(), dial_status="no-answer", recording_url=media.url("ko_caller_8k")
    )
    phone.account_sid = "AC" + "0" * 32
    phone.call(["5"])
    live.extensions["ivr.jobs"].drain()
    [ticket] = rows(live, Ticket)
    [message] = rows(live, Voicemail)
    assert ticket.voicemail_id == message.id
    assert message.download_status == "downloaded" and message.sha256 == media.sha256(
        "ko_caller_8k"
    )
    assert message.transcript_status == "waiting-for-model"  # no model here: it waits for one
