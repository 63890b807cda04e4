"""The presence interface, the same on both backends (database and Redis)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr import db
from ivr.agents.presence import presence
from tests.agents.conftest import BASE_TIME

SID_A, SID_B, SID_C = ("CA" + c * 32 for c in "abc")


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield presence()
        db.session().rollback()


def test_the_backend_follows_redis_url(app, backend):
    with app.app_context():
        assert presence().name == backend


def test_claims_go_to_the_longest_idle_available_agent_of_the_centre(ctx, agents):
    newer = agents.add("a1", idle_minutes=1)
    oldest = agents.add("a2", idle_minutes=10)
    agents.add("a3", status="paused", idle_minutes=50)
    agents.add("a4", status="offline", idle_minutes=50)
    agents.add("a5", centre="0433", idle_minutes=60)
    assert ctx.available("0432") == 2
    first = ctx.claim("0432", SID_A)
    assert (first.agent_id, first.agent_number, first.phone) == (
        oldest.id,
        oldest.agent_number,
        oldest.phone,
    )
    assert ctx.claim("0432", SID_B).agent_id == newer.id
    assert ctx.claim("0432", SID_C) is None  # paused, offline and other centres never
    assert ctx.available("0432") == 0


def test_a_call_holds_one_agent_however_often_it_claims(ctx, agents):
    one = agents.add("b1", idle_minutes=5)
    agents.add("b2", idle_minutes=1)
    assert ctx.claim("0432", SID_A).agent_id == one.id
    assert ctx.claim("0432", SID_A).agent_id == one.id  # a retried webhook
    assert ctx.claimed(SID_A).agent_id == one.id
    assert ctx.available("0432") == 1


def test_release_is_idempotent_and_puts_the_agent_at_the_back_of_the_line(ctx, agents):
    first = agents.add("c1", idle_minutes=10)
    second = agents.add("c2", idle_minutes=5)
    ctx.claim("0432", SID_A)
    end = BASE_TIME + timedelta(minutes=1)
    assert ctx.release(SID_A, now=end) == first.id
    assert ctx.release(SID_A, now=end + timedelta(minutes=1)) is None
    state = ctx.states([first])[first.id]
    assert (state.status, state.since, state.call_sid) == ("available", end, "")
    assert ctx.claimed(SID_A) is None
    assert ctx.claim("0432", SID_B).agent_id == second.id


def test_a_status_chosen_during_a_call_applies_when_it_ends(ctx, agents):
    agent = agents.add("d1")
    ctx.claim("0432", SID_A)
    state = ctx.set_status(agent, "paused")
    assert (state.status, state.after) == ("busy", "paused")
    ctx.release(SID_A)
    assert ctx.states([agent])[agent.id].status == "paused"
    assert ctx.claim("0432", SID_B) is None


def test_forcing_a_status_clears_a_stuck_call(ctx, agents):
    agent = agents.add("e1")
    ctx.claim("0432", SID_A)
    state = ctx.set_status(agent, "available", force=True)
    assert (state.status, state.call_sid) == ("available", "")
    assert ctx.claimed(SID_A) is None
    assert ctx.release(SID_A) is None  # the late Dial action changes nothing
    assert ctx.claim("0432", SID_B).agent_id == agent.id


def test_setting_available_again_keeps_the_place_in_line(ctx, agents):
    waiting_long = agents.add("f1", idle_minutes=30)
    agents.add("f2", idle_minutes=10)
    ctx.set_status(waiting_long, "available", now=BASE_TIME)
    assert ctx.states([waiting_long])[waiting_long.id].since == BASE_TIME - timedelta(minutes=30)
    assert ctx.claim("0432", SID_A).agent_id == waiting_long.id


def test_agents_without_presence_are_offline(ctx, agents):
    agent = agents.add("g1", status="offline")
    state = ctx.states([agent])[agent.id]
    assert state.status == "offline"


def test_unknown_statuses_are_refused(ctx, agents):
    agent = agents.add("h1")
    with pytest.raises(ValueError, match="status must be one of"):
        ctx.set_status(agent, "busy")


def test_queue_counts_and_longest_wait(ctx):
    ctx.join_queue("0432", SID_A, now=BASE_TIME)
    ctx.join_queue("0432", SID_B, now=BASE_TIME + timedelta(seconds=40))
    ctx.join_queue("0432", SID_A, now=BASE_TIME + timedelta(seconds=90))  # a retry: no change
    ctx.join_queue("0433", SID_C, now=BASE_TIME)
    now = BASE_TIME + timedelta(seconds=100)
    board = ctx.queues(["0432", "0433", "0434"], now=now)
    assert board["0432"].waiting == 2 and board["0432"].longest_wait(now) == 100
    assert board["0434"].waiting == 0 and board["0434"].longest_wait(now) == 0
    ctx.leave_queue(SID_A)
    ctx.leave_queue(SID_A)
    board = ctx.queues(["0432"], now=now)
    assert board["0432"].waiting == 1 and board["0432"].longest_wait(now) == 60


def test_queue_entries_of_lost_calls_expire(ctx):
    ctx.join_queue("0432", SID_A, now=BASE_TIME)
    later = BASE_TIME + timedelta(hours=3)
    assert ctx.queues(["0432"], now=later)["0432"].waiting == 0


def test_a_waiting_calls_place_is_its_position_and_join_time(ctx):
    ctx.join_queue("0432", SID_B, now=BASE_TIME)
    ctx.join_queue("0432", SID_A, now=BASE_TIME)  # joined in the same instant: by CallSid
    ctx.join_queue("0432", SID_C, now=BASE_TIME + timedelta(seconds=40))
    ctx.join_queue("0433", "CA" + "d" * 32, now=BASE_TIME - timedelta(minutes=5))
    now = BASE_TIME + timedelta(seconds=100)
    places = {sid: ctx.place(sid, now=now) for sid in (SID_A, SID_B, SID_C)}
    assert [places[sid].position for sid in (SID_A, SID_B, SID_C)] == [1, 2, 3]
    assert places[SID_C].centre == "0432" and places[SID_C].joined == BASE_TIME + timedelta(
        seconds=40
    )
    assert places[SID_C].waited(now) == 60
    assert ctx.leave_queue(SID_A) is True
    assert ctx.leave_queue(SID_A) is False  # gone already: the status callback got there first
    assert ctx.place(SID_A, now=now) is None
    assert ctx.place(SID_C, now=now).position == 2


def test_expired_entries_neither_count_ahead_nor_hold_a_place(ctx):
    ctx.join_queue("0432", SID_A, now=BASE_TIME)
    ctx.join_queue("0432", SID_B, now=BASE_TIME + timedelta(hours=1, minutes=30))
    later = BASE_TIME + timedelta(hours=2, minutes=30)
    assert ctx.place(SID_A, now=later) is None
    assert ctx.place(SID_B, now=later).position == 1
