"""50 simultaneous callers for 5 agents, against a live multi-threaded server.

Each caller is a thread walking the call over HTTP as Twilio would; the server
commits for real (to the test schema, or Redis). While a caller "talks" to an
agent it notes the time span: the agent is certainly held by that call from
the moment the Dial arrived until the Dial action is posted, so two spans of
one agent that overlap would be a double booking.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from ivr import db
from ivr.agents.models import Agent
from ivr.agents.presence import presence
from ivr.calls import journal
from ivr.calls.models import CallEvent
from ivr.simulator import Phone, TwilioQueues, http_transport
from ivr.staff.models import User
from tests.agents.conftest import JILIN_CALLER, MEDIA
from tests.conftest import AUTH_TOKEN, CENTRE_TZ, PUBLIC_URL

CALLS = 50
AGENTS = 5


@pytest.fixture(autouse=True)
def office_hours():
    """Monday 10:00 in the centre, with the clock running (threads really wait)."""
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=CENTRE_TZ), tick=True):
        yield


@pytest.fixture(params=["database", "redis"])
def live(request, make_live_app, serve):
    """A live server: ``[telephony-]backend`` (Twilio unless it says somleng)."""
    telephony, _, backend = request.param.rpartition("-")
    extra = {"REDIS_URL": request.getfixturevalue("redis_url")} if backend == "redis" else {}
    app = make_live_app(IVR_TELEPHONY=telephony or "twilio", **extra)
    return app, serve(app)


def add_agents(app) -> list[Agent]:
    with app.app_context():
        session = db.session()
        agents = []
        for index in range(AGENTS):
            user = User(username=f"load{index}", role="agent")
            user.set_password("correct horse 12333")
            agents.append(
                Agent(
                    user=user,
                    centre="0432",
                    agent_number=f"{2001 + index}",
                    phone=f"+86432200{index}",
                )
            )
        session.add_all(agents)
        session.commit()
        for agent in agents:
            presence().set_status(agent, "available")
        session.commit()
        return agents


def test_fifty_calls_for_five_agents_never_double_book(live):
    walk_fifty_calls(live, "twilio")


@pytest.mark.parametrize("live", ["somleng-database", "somleng-redis"], indirect=True)
def test_fifty_calls_held_by_redirects_never_double_book(live):
    """On Somleng (no <Enqueue>): each caller holds in our own line, a Redirect a round."""
    walk_fifty_calls(live, "somleng")


def walk_fifty_calls(live, telephony: str) -> None:
    app, base_url = live
    agents = add_agents(app)
    queues = TwilioQueues()
    lock = threading.Lock()
    spans: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    outcomes: dict[str, str] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(CALLS)

    def talk(record, step) -> None:
        begun = time.monotonic()
        time.sleep(random.uniform(0.02, 0.08))  # the conversation
        with lock:
            spans[step.text].append((begun, time.monotonic(), record.sid))

    def caller(index: int) -> None:
        impatient = index % 10 == 9  # a few impatient callers hang up
        pace: dict[str, Any] = {}
        if telephony == "somleng":  # Redirects of real 20 ms: 3 rounds for the impatient
            pace = {"redirect_wait": 0.02, "hang_up_after": 0.05 if impatient else None}
        phone = Phone(
            http_transport(base_url),
            PUBLIC_URL,
            AUTH_TOKEN,
            caller=JILIN_CALLER,
            queues=queues,
            queue_rounds=3 if impatient else 40,
            queue_round_seconds=15,  # QueueTime: 180 s (max_wait) after 12 rounds
            queue_pause=0.02,
            on_dial=talk,
            recording_url=f"{MEDIA}/message{index}",
            dial_recordings_url=MEDIA,
            telephony=telephony,
            **pace,
        )
        try:
            start.wait()
            record = phone.call(["0", "1", "1"])  # agent; if offered: leave a message, keep it
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)
            return
        if record.verbs("dial"):
            outcome = "connected"
        elif record.verbs("record"):
            outcome = "voicemail"
        elif record.ended_by in ("caller hung up in queue", "caller hung up"):
            outcome = "queued"
        else:
            outcome = f"unexpected: {record.ended_by} {record.heard[-2:]}"
        with lock:
            outcomes[record.sid] = outcome

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(CALLS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)

    assert not errors, errors[:3]
    assert len(outcomes) == CALLS
    counts = Counter(outcomes.values())
    assert set(counts) <= {"connected", "voicemail", "queued"}, counts
    assert counts["connected"] >= AGENTS, counts

    phones = {agent.phone for agent in agents}
    assert set(spans) <= phones
    for phone, held in spans.items():
        held.sort()
        for (_, end, sid), (begin, _, other) in zip(held, held[1:], strict=False):
            assert begin >= end, f"{phone} was on {sid} and {other} at once"
    assert sum(len(held) for held in spans.values()) == counts["connected"]

    with app.app_context():
        states = presence().states(agents)
        assert {s.status for s in states.values()} == {"available"}
        assert not any(s.call_sid for s in states.values())
        assert presence().queues(["0432"])["0432"].waiting == 0
        if call_journal := journal.journal():  # menu steps wait there for the flush job
            call_journal.flush()
        dialled = db.session().scalar(
            select(func.count()).select_from(CallEvent).where(CallEvent.kind == "agent-dial")
        )
    assert dialled == counts["connected"]
