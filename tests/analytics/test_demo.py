"""The analytics demo: a month of calls walked through the real flow, once."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from ivr import db
from ivr.agents.models import Agent
from ivr.agents.presence import presence
from ivr.analytics.demo import walk
from ivr.calls.models import Call, CallEvent
from ivr.complaints.models import Ticket
from ivr.voicemail.models import Voicemail
from tests.harness import CENTRE_TZ, TELEPHONY

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test

# A week of a busy centre (the demo's month, 3,000 calls, runs in the README's example):
# 2026-11-22 (Sunday) .. 2026-11-28 (Saturday).
END = date(2026, 11, 29)
DAYS = 7
CALLS = 400


def events(kind: str, node: str | None = None) -> list[CallEvent]:
    query = select(CallEvent).where(CallEvent.kind == kind)
    if node is not None:
        query = query.where(CallEvent.node == node)
    return list(db.session().scalars(query))


@pytest.mark.parametrize("telephony", TELEPHONY)
def test_a_week_of_calls_walks_every_path_and_a_second_run_adds_nothing(app, runner, telephony):
    assert runner.invoke(args=["agents", "demo"]).exit_code == 0
    with app.app_context():
        summary = walk(app, CALLS, days=DAYS, end=END, echo=lambda line: None)
        assert summary.failed == [] and summary.walked == CALLS
        session = db.session()
        calls = list(session.scalars(select(Call)))
        assert len(calls) == CALLS
        assert all(c.status == "completed" for c in calls)
        local = [c.started_at.astimezone(CENTRE_TZ) for c in calls]
        assert min(local).date() == date(2026, 11, 22) and max(local).date() == date(2026, 11, 28)

        # Every option of both menus was taken, and callers went wrong in the menus.
        taken = {(e.node, e.digits) for e in events("option")}
        assert {("main_menu", key) for key in "1234590"} <= taken
        assert {("reduced_menu", key) for key in "1234"} <= taken
        assert events("invalid", "main_menu") and events("silence")
        assert events("hours") and {e.detail["open"] for e in events("hours")} == {True, False}

        # Busy hours: more calls at 9-11 and 14-16 than at lunch or at night.
        by_hour = Counter(moment.hour for moment in local)
        busy = sum(by_hour[h] for h in (9, 10, 14, 15))
        assert busy > 3 * sum(by_hour[h] for h in (12, 13))
        assert busy > 3 * sum(by_hour[h] for h in (0, 1, 2, 3, 4, 5, 22, 23))

        # Callers waited for agents: some were put through, some gave up in the queue.
        queued = {e.call_id for e in events("enqueue")}
        claimed = {e.call_id for e in events("agent-claimed")}
        timed_out = {e.call_id for e in events("queue-timeout")}
        assert claimed & queued and queued - claimed - timed_out
        assert max(e.detail["waited"] for e in events("queue-wait")) >= 60
        assert events("agent-dial") and events("connect-result", "agent")

        # The domains' own records: complaints, messages (downloaded), faxes, lookups.
        assert session.scalar(select(func.count()).select_from(Ticket))
        messages = list(session.scalars(select(Voicemail)))
        assert messages and all(m.download_status == "downloaded" for m in messages)
        assert events("fax-requested") and events("account-lookup")
        assert {e.detail["result"] for e in events("account-lookup")} >= {"ok"}

        # Agents are left available, nobody waiting.
        agents = list(session.scalars(select(Agent)))
        states = presence().states(agents)
        assert {s.status for s in states.values()} == {"available"}
        assert not any(q.waiting for q in presence().queues({a.centre for a in agents}).values())

        count = session.scalar(select(func.count()).select_from(CallEvent))
        session.commit()
        again = walk(app, CALLS, days=DAYS, end=END, echo=lambda line: None)
        assert (again.walked, again.existed) == (0, CALLS)
        assert session.scalar(select(func.count()).select_from(CallEvent)) == count


def test_the_demo_command_is_a_demo_step(app, runner):
    assert runner.invoke(args=["agents", "demo"]).exit_code == 0
    result = runner.invoke(args=["analytics", "demo", "--calls", "20", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "demo traffic: 20 calls walked through the flow" in result.output
    again = runner.invoke(args=["analytics", "demo", "--calls", "20", "--days", "3"])
    assert "demo traffic: 20 of 20 calls exist already; nothing added" in again.output
