"""The events a stay in line leaves, timed by our own clock, the same on Twilio and Somleng.

The statistics (``ivr.analytics``) read these: the centre and position a caller
joined at, how they left (answered, overflowed, hung up) after how long, the
agent offered the call and whether they answered, and the call's end.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ivr import db
from ivr.calls.journal import journal
from ivr.calls.models import Call
from tests.agents.test_agent_calls import OTHER_CALL, occupy
from tests.harness import TELEPHONY

pytestmark = pytest.mark.sqlite

ROUND = 15  # seconds our clock moves on between two rounds in line
STAY = {"enqueue", "queue-left", "agent-dial", "agent-answered", "agent-missed", "end"}


def stay(app, sid: str) -> dict[str, dict]:
    """The call's queue and agent events (and its end) by kind, each once, with its details.

    (The frozen clock gives events of several requests the same time: no order to check.)
    """
    with app.app_context():
        if journal() is not None:
            journal().flush()
        call = db.session().scalars(select(Call).where(Call.sid == sid)).one()
        found = [(e.kind, e.detail) for e in call.events if e.kind in STAY]
    assert len(found) == len(dict(found)), found  # none twice
    return dict(found)


def pace(telephony: str, time_machine, between) -> dict:
    """Round hooks for either platform: ``between(count)`` after each round in line; on
    Twilio our clock moves ROUND seconds a round (the phone's QueueTime does too)."""
    if telephony == "somleng":  # the phone moves the frozen clock itself
        return {"on_redirect": lambda phone, record, count: between(count)}
    time_machine.move_to(datetime.now(UTC), tick=False)

    def rounds(phone, record, number):
        time_machine.shift(ROUND)
        between(number + 1)

    return {"between_rounds": rounds, "queue_round_seconds": ROUND}


def waited(telephony: str, rounds: int) -> int:
    return rounds * (ROUND if telephony == "twilio" else 9)  # Somleng: 8 s music + 1 s wait


@pytest.mark.parametrize("telephony", TELEPHONY)
def test_an_answered_stay_records_centre_position_wait_agent_and_end(
    app, agents, make_phone, telephony, time_machine
):
    agent = agents.add("zhou")
    occupy(app)

    def between(count):
        if count == 2:
            agents.release(OTHER_CALL)

    call = make_phone(**pace(telephony, time_machine, between)).call(["0"])

    assert stay(app, call.sid) == {
        "enqueue": {"queue": "jilin", "centre": "0432", "position": 1},
        "queue-left": {"outcome": "answered", "waited": waited(telephony, 2), "centre": "0432"},
        "agent-dial": {"agent": agent.id, "number": agent.agent_number, "centre": "0432"},
        "agent-answered": {"agent": agent.id, "centre": "0432"},
        "end": {"status": "completed", "duration": waited(telephony, 2)},
    }


@pytest.mark.parametrize("telephony", TELEPHONY)
def test_a_caller_hanging_up_in_line_is_recorded_once_with_the_wait(
    app, agents, make_phone, telephony, time_machine
):
    agents.add("zheng")
    occupy(app)
    options = pace(telephony, time_machine, lambda count: None)
    if telephony == "twilio":
        options["queue_rounds"] = 3
    else:
        options["hang_up_after"] = 3 * 9 - 0.5
    call = make_phone(**options).call(["0"])

    events = stay(app, call.sid)
    assert set(events) == {"enqueue", "queue-left", "end"}
    assert events["queue-left"]["outcome"] == "hung-up"
    # Twilio: 3 rounds of 15 s; Somleng: the caller hung up 26.5 s into the wait
    assert events["queue-left"]["waited"] == (3 * ROUND if telephony == "twilio" else 26)


@pytest.mark.parametrize("telephony", TELEPHONY)
def test_a_caller_out_of_time_in_line_overflows_and_an_unanswered_agent_is_missed(
    app, agents, make_phone, telephony, time_machine
):
    agents.add("chen")
    provincial = agents.add("wei", centre="provincial")
    occupy(app)
    options = pace(telephony, time_machine, lambda count: None)
    call = make_phone(dial_statuses=["no-answer"], **options).call(["0"])

    events = stay(app, call.sid)
    assert set(events) == {"enqueue", "queue-left", "agent-dial", "agent-missed", "end"}
    assert events["queue-left"]["outcome"] == "overflowed"
    assert events["queue-left"]["waited"] >= 180
    assert events["agent-dial"]["centre"] == "provincial"
    missed = {"result": "no-answer", "agent": provincial.id, "centre": "provincial"}
    assert events["agent-missed"] == missed
