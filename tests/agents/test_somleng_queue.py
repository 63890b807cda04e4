"""Option 0 on Somleng (no <Enqueue>): callers held by a Redirect loop, on both backends.

The phone paces the loop as Somleng does (1 s before each Redirect, the hold
music's length for each Play) on the frozen clock, so the wait our own line
measures is the wait the caller had.
"""

from __future__ import annotations

import re
import uuid

import pytest

from ivr import db
from ivr.agents import distribution
from ivr.agents.presence import presence
from ivr.staff.models import User
from tests.agents.conftest import HOLD_MUSIC_SECONDS
from tests.agents.test_agent_calls import (
    CONNECTING,
    GOODBYE,
    OFFER,
    UNAVAILABLE,
    VOICEMAIL,
    occupy,
    position,
    transfer,
)
from tests.conftest import PUBLIC_URL
from tests.harness import PASSWORD, log_in

pytestmark = pytest.mark.sqlite

HOLD = "请不要挂机，我们将尽快为您接通。"
MUSIC = f"{PUBLIC_URL}/audio/hold_music.wav"
ROUND = HOLD_MUSIC_SECONDS + 1  # the music, then Somleng's second before the Redirect
OTHER = str(uuid.UUID(int=1))  # another caller's call, holding the agent


@pytest.fixture
def telephony() -> str:
    return "somleng"


def test_a_free_agent_is_dialled_longest_idle_first_without_dial_recording(agents, make_phone):
    agents.add("zhao", idle_minutes=5)
    longest = agents.add("qian", idle_minutes=30)
    call = make_phone().call(["0"])
    [dial] = call.verbs("dial")
    assert dial.text == longest.phone
    assert not {"record", "recordingStatusCallback"} & set(dial.attrs)
    assert dial.attrs["action"].startswith(f"{PUBLIC_URL}/voice/input/agent")
    assert call.heard[-2:] == [CONNECTING, GOODBYE]
    assert agents.status(longest) == "available"


def test_a_held_caller_hears_the_position_and_music_each_round_until_an_agent_frees(
    app, agents, make_phone
):
    agent = agents.add("zhao", idle_minutes=5)
    occupy(app, sid=OTHER)
    waiting = []

    def round_ends(phone, record, count):
        waiting.append(agents.waiting())
        if count == 2:
            agents.release(OTHER)  # the other call ends: zhao is free

    call = make_phone(on_redirect=round_ends).call(["0"])

    heard = call.heard
    assert heard[heard.index(CONNECTING) + 1 :] == [
        position(1),
        HOLD,
        MUSIC,
        position(1),
        HOLD,
        MUSIC,
        transfer(agent.agent_number),
        GOODBYE,
    ]
    assert not call.verbs("enqueue") and not call.verbs("pause")
    redirects = call.verbs("redirect")
    assert len(redirects) == 2 and {r.attrs["method"] for r in redirects} == {"POST"}
    assert all(r.text.startswith(f"{PUBLIC_URL}/voice/input/agent?") for r in redirects)
    [dial] = call.verbs("dial")
    assert dial.text == agent.phone and "record" not in dial.attrs
    assert waiting == [1, 1]  # the dashboards saw the caller waiting
    assert agents.waiting() == 0
    assert agents.status(agent) == "available"


def test_the_caller_ahead_gets_the_free_agent_first(app, agents, make_phone):
    agent = agents.add("zhou")
    occupy(app, sid=OTHER)
    later = {}

    def first_caller_rounds(phone, record, count):
        if count == 1:
            agents.release(OTHER)  # zhou is free, and at once a second caller rings
            second = make_phone(hang_up_after=2 * ROUND - 0.5)
            later["call"] = second.call(["0"])

    first = make_phone(on_redirect=first_caller_rounds).call(["0"])

    second = later["call"]
    assert not second.verbs("dial")  # zhou was for the caller ahead...
    assert second.heard.count(position(2)) == 2 and position(1) not in second.heard
    assert [d.text for d in first.verbs("dial")] == [agent.phone]  # ...who got him
    assert agents.waiting() == 0


def test_after_the_longest_wait_the_caller_is_offered_a_message(app, agents, make_phone):
    agents.add("chen")
    occupy(app, sid=OTHER)
    call = make_phone().call(["0", "1"])
    heard = call.heard
    rounds = heard.count(position(1))
    assert rounds == 20  # at 0, 9, …, 171 s of our own clock; at 180 s the wait is over
    assert len(call.verbs("redirect")) == rounds
    assert heard[heard.index(UNAVAILABLE) :][:3] == [UNAVAILABLE, OFFER, VOICEMAIL]
    assert not call.verbs("dial")
    assert agents.waiting() == 0


def test_after_the_longest_wait_a_free_provincial_agent_takes_the_call(app, agents, make_phone):
    agents.add("chen")
    provincial = agents.add("wei", centre="provincial")
    occupy(app, sid=OTHER)
    call = make_phone().call(["0"])
    assert "本地座席繁忙，请稍等，正在为您转接吉林省12333咨询服务中心人工服务。" in call.heard
    [dial] = call.verbs("dial")
    assert dial.text == provincial.phone and "record" not in dial.attrs
    assert call.heard[-1] == GOODBYE
    assert agents.status(provincial) == "available"


def test_a_caller_hanging_up_in_line_leaves_nothing_claimed(app, agents, make_phone):
    agent = agents.add("zheng")
    occupy(app, sid=OTHER)
    phone = make_phone(hang_up_after=2 * ROUND - 0.5)  # during the second Redirect's wait
    call = phone.call(["0"])
    assert call.ended_by == "caller hung up"
    assert call.heard.count(position(1)) == 2
    assert agents.waiting() == 0  # the status callback took the caller out of the line
    agents.release(OTHER)

    # The round Somleng had already asked for arrives after the hang-up: no claim.
    in_flight = call.verbs("redirect")[-1].text
    status, body = phone.post(in_flight, phone.call_params(call.sid))
    assert status == 200 and "<Dial" not in body
    state = agents.state(agent)
    assert (state.status, state.call_sid) == ("available", "")


def test_an_agent_claimed_for_a_caller_who_just_hung_up_is_released(app, agents):
    agent = agents.add("feng")
    gone = str(uuid.uuid4())
    with app.app_context():
        backend = presence()
        backend.join_queue("0432", gone)
        backend.leave_queue(gone)  # the status callback, while the round was under way
        assert distribution.claim_in_line(backend, "0432", gone, 1) is None
        db.session().commit()
    state = agents.state(agent)
    assert (state.status, state.call_sid) == ("available", "")


def test_the_board_shows_the_held_caller_and_how_long_they_wait(app, agents, make_phone):
    agents.add("a1", status="paused")
    with app.app_context():
        user = User(username="banzhang", role="team_leader")
        user.set_password(PASSWORD)
        db.session().add(user)
        db.session().commit()
    leader = app.test_client()
    assert log_in(leader, "banzhang").status_code == 302
    seen = []

    def look(phone, record, count):
        html = leader.get("/agents/").get_data(as_text=True)
        row = re.search(r'href="#centre-0432">.*?</tr>', html, re.S).group(0)
        waiting, longest = re.findall(r"<td[^>]*>\s*([^<]*)", row)[-2:]
        listed = re.search(r'id="waiting-0432".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
        cells = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", listed)
        seen.append((waiting.strip(), longest.strip(), cells))

    make_phone(on_redirect=look, hang_up_after=3 * ROUND - 0.5).call(["0"])
    # at each Redirect: the music has played (8 s) each round, plus the Redirects' seconds
    caller = "+86****345"  # JILIN_CALLER, masked
    assert seen == [
        ("1", "0:08", [("1", caller, "0:08")]),
        ("1", "0:17", [("1", caller, "0:17")]),
        ("1", "0:26", [("1", caller, "0:26")]),
    ]
    page = leader.get("/agents/").get_data(as_text=True)
    assert 'id="waiting-0432"' not in page  # hung up: nobody waits any more
    assert agents.waiting() == 0
