"""The call trace: real calls walked through the webhooks, read back step by step.

Each call is placed by the simulated phone (signed webhooks, as Twilio would);
the trace page must show every step with the keys pressed, never the keys of
option 4 nor a fax number in clear, and only to the roles allowed to see
that call, each view leaving an audit row.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ivr import db
from ivr.accounts.models import PersonalAccount
from ivr.agents.models import Agent, CallRecording
from ivr.agents.presence import presence
from ivr.calls.models import Call, CallEvent
from ivr.complaints.models import Ticket
from ivr.inspection.models import SampledCall, SampleDraw
from ivr.simulator import Phone, TwilioQueues, flask_transport
from ivr.staff.models import ROLES, AuditEvent, User
from ivr.voicemail.models import Voicemail
from tests.accounts.conftest import NUMBER, WRONG
from tests.accounts.conftest import PASSWORD as ACCOUNT_PASSWORD
from tests.agents.conftest import MEDIA
from tests.harness import AUTH_TOKEN, PASSWORD, PUBLIC_URL, log_in

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test

CALLER = "+8643262012345"  # a Jilin City (0432) landline
OTHER_CALL = "CA" + "e" * 32


@pytest.fixture(autouse=True)
def office_hours(at):
    at(2026, 11, 23, 10, 0)


@pytest.fixture
def users(data) -> dict[str, int]:
    """One user per role (``<role>-user``), the agent with a seat in Jilin City; and a
    second agent and inspector who have nothing to do with the calls."""
    ids = {}
    with data() as session:
        for username, role in [(f"{r}-user", r) for r in ROLES] + [
            ("other-agent", "agent"),
            ("other-inspector", "inspector"),
        ]:
            user = User(username=username, role=role, display_name=username)
            user.set_password(PASSWORD)
            session.add(user)
            session.flush()
            ids[username] = user.id
            if role == "agent":
                number = "1001" if username == "agent-user" else "1002"
                agent = Agent(
                    user_id=user.id, centre="0432", agent_number=number, phone=f"+86432{number}000"
                )
                session.add(agent)
                session.flush()
                ids[f"{username}:agent"] = agent.id
    return ids


def phone(client: FlaskClient, **options: Any) -> Phone:
    return Phone(
        flask_transport(client, PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller=CALLER,
        queues=TwilioQueues(),
        queue_rounds=20,
        dial_recordings_url=MEDIA,
        **options,
    )


def login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def page(client: FlaskClient, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def steps(html: str) -> list[tuple[str, str, str]]:
    """(kind, node, keys) of each row of the trace's table."""
    rows = re.findall(
        r'<tr class="step[^"]*" data-kind="([^"]*)" data-node="([^"]*)">(.*?)</tr>', html, re.S
    )
    return [
        (kind, node, re.search(r'<td class="keys"><code>([^<]*)</code>', row).group(1))
        for kind, node, row in rows
    ]


@pytest.fixture
def queued_call(app, client, data, users) -> str:
    """Keys 7 (invalid), silence, 4 with a wrong password, * back, then 0: the agent is busy
    with another call, so the caller waits in line one round and is put through."""
    with data() as session:
        account = PersonalAccount(personal_number=NUMBER, name="张伟")
        account.set_password(ACCOUNT_PASSWORD)
        session.add(account)
        agent = session.get_one(Agent, users["agent-user:agent"])
        presence().set_status(agent, "available", now=datetime(2026, 11, 23, 1, tzinfo=UTC))
        session.flush()
        assert presence().claim("0432", OTHER_CALL) is not None

    def frees(phone, record, round_number):
        with app.app_context():
            presence().release(OTHER_CALL)
            db.session().commit()

    call = phone(client, between_rounds=frees).call(["7", "-", "4", f"{NUMBER}#", WRONG, "*", "0"])
    assert call.verbs("enqueue") and call.verbs("dial")
    return call.sid


def test_a_walked_call_shows_every_step_with_the_account_keys_hidden(app, queued_call):
    status, html = page(login(app, "admin-user"), f"/calls/{queued_call}")
    assert status == 200
    walked = steps(html)
    kinds = [kind for kind, _, _ in walked]
    assert kinds[0] == "incoming" and kinds[-2:] == ["status", "end"]
    assert ("invalid", "main_menu", "7") in walked
    assert ("silence", "main_menu", "") in walked
    assert ("option", "main_menu", "4") in walked
    account_keys = [keys for kind, node, keys in walked if node == "account" and keys]
    assert account_keys and set(account_keys) == {"***"}  # the number, the password
    assert "account-lookup" in kinds and "back" in kinds
    assert ("option", "main_menu", "0") in walked
    order = ("route", "enqueue", "queue-wait", "agent-claimed", "queue-left", "agent-dial")
    order += ("agent-answered", "end")
    for kind in order:
        assert kind in kinds, kind
    assert [kinds.index(kind) for kind in order] == sorted(kinds.index(kind) for kind in order)
    assert kinds.count("connect-result") == 2  # the queue's Leave, then the agent's call
    assert "结果 Outcome: answered" in html  # how the caller left the queue
    # Neither the personal number (nor its tail) nor a password appears anywhere.
    for secret in (NUMBER, NUMBER[-8:], WRONG, ACCOUNT_PASSWORD):
        assert secret not in html
    summary = html[html.index('id="summary"') : html.index('id="h-steps"')]
    assert "main_menu → 4 · main_menu → 0" in summary
    assert re.search(r"Invalid rounds</dt><dd>1<", summary)
    assert re.search(r"Silent rounds</dt><dd>1<", summary)
    assert "1001 agent-user" in summary  # the agent who took it
    assert re.search(r"Talk time</dt><dd>0:00<", summary)  # the frozen clock did not move
    assert "排队位置 Position: 1" in html
    assert "2026-11-23 10:00:00 +08:00" in html  # the centre's time, with its offset
    assert CALLER in html  # admins see the caller's number in full
    assert "座席通话 Agent call" in html  # its recording, listed (not downloaded: no player)


def test_fax_numbers_are_masked_and_the_fax_request_is_listed(app, client, users):
    call = phone(client).call(["3", "1", "043188881234#", "1", "2"])
    status, html = page(login(app, "team_leader-user"), f"/calls/{call.sid}")
    assert status == 200
    assert ("fax-number", "fax", "0431******34") in steps(html)
    assert "043188881234" not in html and "8888" not in html
    faxes = html[html.index('id="h-faxes"') :]
    assert "0431******34" in faxes


def test_a_complaint_call_links_to_its_ticket_and_the_ticket_back(app, client, users):
    call = phone(client).call(["5"])
    admin = login(app, "admin-user")
    with app.app_context():
        ticket = db.session().scalars(select(Ticket)).one()
    status, html = page(admin, f"/calls/{call.sid}")
    assert status == 200 and "complaint-opened" in [k for k, _, _ in steps(html)]
    assert f'href="/tickets/{ticket.id}"' in html
    status, html = page(admin, f"/tickets/{ticket.id}")
    assert f'href="/calls/{call.sid}"' in html


def test_a_trial_call_says_so(app, client, data, users):
    call = phone(client).call(["1", "*"])
    admin = login(app, "admin-user")
    assert 'id="trial"' not in page(admin, f"/calls/{call.sid}")[1]
    with data() as session:
        session.scalars(select(Call).where(Call.sid == call.sid)).one().trial = True
    assert "试拨 Trial call" in page(admin, f"/calls/{call.sid}")[1]


def test_speech_outcomes_appear_as_they_are_recorded(app, client, data, users):
    call = phone(client).call(["1", "*"])
    kept = "speech/2026/11/23/" + "0" * 24 + ".wav"
    with data() as session:
        stored = session.scalars(select(Call).where(Call.sid == call.sid)).one()
        for key, kind, detail in (
            ("speech-test", "speech", {"text": "养老 保险", "confidence": 0.82, "audio": kept}),
            ("speech-confirmed-test", "speech-confirmed", {}),
        ):
            session.add(
                CallEvent(call_id=stored.id, key=key, kind=kind, node="main_menu", detail=detail)
            )
    status, html = page(login(app, "admin-user"), f"/calls/{call.sid}")
    kinds = [kind for kind, node, _keys in steps(html) if node == "main_menu"]
    assert "speech" in kinds and "speech-confirmed" in kinds
    assert "语音识别 Speech: heard" in html and "语音识别 Speech: confirmed" in html
    assert "0.82" in html and "养老 保险" in html
    assert f'href="/staff/speech/{kept.removeprefix("speech/")}"' in html  # kept audio: listen
    status, html = page(login(app, "inspector-user"), f"/calls/{call.sid}")
    assert "/staff/speech/" not in html  # not theirs to hear (nor, here, to see)


# --- search -------------------------------------------------------------------------


@pytest.mark.parametrize("query", [CALLER, "043262012345", "0432-6201 2345", " +86 432 6201 2345 "])
def test_search_by_the_callers_number_in_its_written_forms(app, client, users, query):
    call = phone(client).call(["1", "*"])
    other = Phone(
        flask_transport(client, PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN, caller="+8643188881234"
    ).call(["1", "*"])
    status, html = page(login(app, "team_leader-user"), "/calls/?" + _q(query))
    assert status == 200
    assert f"/calls/{call.sid}" in html and f"/calls/{other.sid}" not in html


def _q(text: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"q": text})


def test_a_search_finds_the_newest_calls_the_user_may_see_beyond_the_first_page(app):
    from datetime import timedelta

    from ivr.analytics import search

    with app.app_context():
        session = db.session()
        start = datetime(2026, 11, 1, tzinfo=UTC)
        calls = [
            Call(
                sid=f"CA{n:032x}",
                from_number="+8643188881234",
                locale="zh-CN",
                started_at=start + timedelta(minutes=n),
            )
            for n in range(search.PAGE + 60)
        ]
        session.add_all(calls)
        session.flush()
        mine = {call.id for call in calls[:3]}  # the three oldest: past the first page
        query = search.parse("0431-8888 1234")
        found = search.find(session, query, visible=lambda call: call.id in mine)
        assert [call.id for call in found] == sorted(mine, reverse=True)
        assert len(search.find(session, query)) == search.LIMIT


def test_search_by_callsid_and_malformed_input_is_refused(app, client, users):
    call = phone(client).call(["1", "*"])
    leader = login(app, "team_leader-user")
    status, html = page(leader, "/calls/?" + _q(call.sid))
    assert status == 200 and f"/calls/{call.sid}" in html
    status, html = page(leader, "/calls/?" + _q("CA" + "0" * 32))  # well formed, no such call
    assert status == 200 and "No call found" in html
    for bad in ("CA123", call.sid + "0", call.sid.upper(), "' OR 1=1 --", "+86abc", "x" * 500):
        status, html = page(leader, "/calls/?" + _q(bad))
        assert status == 400, bad
        assert 'role="alert"' in html
    for bad in ("CA123", "nope", call.sid + "x", "%00"):
        assert leader.get(f"/calls/{bad}").status_code == 404


# --- who sees which call --------------------------------------------------------------


def sample(data, users, sid: str, inspector: str = "inspector-user") -> int:
    """The inspector draws the call's recording (as the monthly draw does)."""
    with data() as session:
        recording = session.scalars(
            select(CallRecording).where(CallRecording.call_sid == sid)
        ).one()
        agent_id = users["agent-user:agent"]
        draw = SampleDraw(
            month="2026-11",
            rubric_id="test",
            inspector_id=users[inspector],
            agent_id=agent_id,
            seed=1,
            pool=[recording.id],
            size=1,
            picked=[recording.id],
            min_seconds=0,
        )
        session.add(draw)
        session.flush()
        row = SampledCall(
            draw_id=draw.id,
            month="2026-11",
            inspector_id=users[inspector],
            agent_id=agent_id,
            recording_id=recording.id,
            slot=1,
            claim=recording.id,
        )
        session.add(row)
        session.flush()
        return row.id


def test_each_role_sees_the_calls_it_may_and_every_view_is_audited(
    app, client, data, users, queued_call
):
    unrelated = phone(client).call(["1", "*"]).sid
    sample(data, users, queued_call)
    allowed = {
        "admin-user": {queued_call, unrelated},
        "team_leader-user": {queued_call, unrelated},
        "inspector-user": {queued_call},  # sampled it
        "other-inspector": set(),
        "agent-user": {queued_call},  # took it
        "other-agent": set(),
        "staff-user": set(),
    }
    for username, visible in allowed.items():
        browser = login(app, username)
        for sid in (queued_call, unrelated):
            status, html = page(browser, f"/calls/{sid}")
            assert status == (200 if sid in visible else 403), (username, sid)
        status, html = page(browser, "/calls/?" + _q(CALLER))
        if username == "staff-user":
            assert status == 403
            continue
        found = {sid for sid in (queued_call, unrelated) if f"/calls/{sid}" in html}
        assert found == visible, username
        if username in ("inspector-user", "agent-user"):  # numbers masked for them
            table = html[html.index("<table") :]
            assert CALLER not in table and "+86****345" in table

    with app.app_context():
        views = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "view")).all()
        calls = {c.id: c.sid for c in db.session().scalars(select(Call))}
    seen = sorted(
        (row.user_id, calls[int(row.object_id)]) for row in views if row.object_type == "call"
    )
    expected = sorted((users[u], sid) for u, visible in allowed.items() for sid in visible)
    assert seen == expected  # one row per view allowed, none for a refusal
    assert all(row.created_at is not None for row in views)


def test_the_recording_plays_from_the_trace_with_a_listen_audit(
    app, client, data, users, queued_call, tmp_path
):
    with data() as session:
        recording = session.scalars(select(CallRecording)).one()
        target = app.config["SETTINGS"].recordings_dir / "agent-call" / "t.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"RIFF....WAVEfmt fake")
        recording.download_status, recording.audio_path = "downloaded", "agent-call/t.wav"
        recording_id = recording.id
    agent = login(app, "agent-user")
    status, html = page(agent, f"/calls/{queued_call}")
    src = f"/calls/{queued_call}/recordings/agent-call/{recording_id}"
    assert f'<audio controls preload="none" src="{src}">' in html
    with agent.get(src) as response:
        assert response.data == b"RIFF....WAVEfmt fake"
    assert login(app, "other-agent").get(src).status_code == 403
    assert agent.get(f"/calls/{queued_call}/recordings/voicemail/{recording_id}").status_code == 404
    with app.app_context():
        [listen] = (
            db.session().scalars(select(AuditEvent).where(AuditEvent.action == "listen")).all()
        )
    assert (listen.user_id, listen.object_type, listen.object_id) == (
        users["agent-user"],
        "call_recording",
        str(recording_id),
    )


def test_links_from_the_voicemail_and_sample_pages(app, client, data, users, queued_call):
    sample_id = sample(data, users, queued_call)
    with data() as session:
        message = Voicemail(
            recording_sid="RE" + "4" * 32, call_sid=queued_call, caller=CALLER, duration=5.0
        )
        session.add(message)
        session.flush()
        message_id = message.id
    link = f'href="/calls/{queued_call}"'
    assert link in page(login(app, "admin-user"), f"/staff/voicemail/{message_id}")[1]
    assert link not in page(login(app, "staff-user"), f"/staff/voicemail/{message_id}")[1]
    assert link in page(login(app, "inspector-user"), f"/inspection/samples/{sample_id}")[1]
    assert link in page(login(app, "team_leader-user"), f"/inspection/samples/{sample_id}")[1]
