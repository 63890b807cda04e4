"""Drawing three calls per agent and inspector: reproducible, exclusive, redrawn only with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ivr.inspection.models import SampledCall, SampleDraw
from ivr.inspection.sampling import (
    SamplingError,
    active_samples,
    draw_month,
    eligible_ids,
    pick,
    redraw,
    replay,
)
from ivr.staff.models import AuditEvent, User
from tests.inspection.conftest import MONTH


@pytest.fixture
def setup(make_user, make_agent, make_call):
    """Two inspectors, one agent with eight long calls and two short ones in MONTH."""
    inspectors = [make_user("li", "inspector", "李娜"), make_user("chen", "inspector", "陈静")]
    agent = make_agent("1001")
    long_calls = [make_call(agent) for _ in range(8)]
    short = [make_call(agent, duration=29.9), make_call(agent, duration=12.0)]
    return {"inspectors": inspectors, "agent": agent, "long": long_calls, "short": short}


def _draw(session, app, user_id: int, **kwargs):
    inspector = session.get(User, user_id)
    return draw_month(
        session,
        MONTH,
        inspector,
        app.config["SETTINGS"].timezone,
        rubric_id="12333-monthly",
        **kwargs,
    )


def test_same_seed_and_pool_give_the_same_draw():
    pool = [14, 3, 99, 7, 21, 8, 5]
    assert pick(pool, 3, 42) == pick(list(reversed(pool)), 3, 42)
    assert pick(pool, 3, 42) != pick(pool, 3, 43)
    assert pick([1, 2], 3, 1) in ([1, 2], [2, 1])  # fewer calls than wanted: all of them


def test_a_stored_draw_replays_from_its_seed_and_pool(app, data, setup):
    with data() as session:
        (drawn,) = _draw(session, app, setup["inspectors"][0], seed=1000)
        draw = drawn.draw
        assert draw.seed == 1000 + setup["agent"]
        assert draw.pool == sorted(setup["long"])
        assert len(draw.picked) == 3
        assert replay(draw) == draw.picked
        samples = active_samples(session, MONTH, agent_id=setup["agent"])
        assert [s.recording_id for s in samples] == draw.picked  # slots 1..3 in draw order
        assert [s.slot for s in samples] == [1, 2, 3]


def test_the_same_seed_draws_the_same_calls_again(app, data, setup):
    with data() as session:
        first = _draw(session, app, setup["inspectors"][0], seed=7)[0].draw.picked
        session.rollback()
    with data() as session:
        again = _draw(session, app, setup["inspectors"][0], seed=7)[0].draw.picked
    assert first == again


def test_no_call_goes_to_two_inspectors_and_short_calls_are_never_drawn(app, data, setup):
    with data() as session:
        a = _draw(session, app, setup["inspectors"][0])[0].draw
        b = _draw(session, app, setup["inspectors"][1])[0].draw
    assert not set(a.picked) & set(b.picked)
    assert not set(b.pool) & set(a.picked)  # the second pool already left the first set out
    for draw in (a, b):
        assert not set(draw.pool) & set(setup["short"])
        assert set(draw.picked) <= set(setup["long"])


def test_the_shortest_call_to_sample_is_configurable(app, data, setup):
    with data() as session:
        draw = _draw(session, app, setup["inspectors"][0], min_seconds=10)[0].draw
    assert set(setup["short"]) <= set(draw.pool)


def test_only_the_months_downloaded_calls_count(app, data, setup, make_call):
    agent = setup["agent"]
    october = make_call(agent, started_at=datetime(2026, 10, 31, 15, 59, tzinfo=UTC))  # 23:59 local
    december = make_call(agent, started_at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # 00:00 local
    first_minute = make_call(agent, started_at=datetime(2026, 10, 31, 16, 0, tzinfo=UTC))
    pending = make_call(agent, download_status="pending")
    with data() as session:
        ids = eligible_ids(session, agent, MONTH, app.config["SETTINGS"].timezone, 30)
    assert first_minute in ids
    assert october not in ids and december not in ids and pending not in ids


def test_the_database_refuses_one_call_in_two_active_sets(app, data, setup):
    with data() as session:
        draw = _draw(session, app, setup["inspectors"][0])[0].draw
        taken = draw.picked[0]
    with pytest.raises(IntegrityError), data() as session:
        session.add(
            SampledCall(
                draw_id=draw.id,
                month=MONTH,
                inspector_id=setup["inspectors"][1],
                agent_id=setup["agent"],
                recording_id=taken,
                slot=1,
                claim=taken,
            )
        )
        session.flush()


def test_drawing_again_keeps_an_existing_set(app, data, setup):
    with data() as session:
        first = _draw(session, app, setup["inspectors"][0])
        again = _draw(session, app, setup["inspectors"][0])
        assert first[0].draw is not None
        assert again[0].draw is None and again[0].existing == 3
        assert session.scalar(select(SampleDraw.id).where(SampleDraw.id > first[0].draw.id)) is None


def test_only_inspectors_draw(app, data, setup, make_user):
    leader = make_user("wang", "team_leader")
    with pytest.raises(SamplingError), data() as session:
        _draw(session, app, leader)


def test_a_redraw_needs_a_written_reason(app, data, setup):
    zone = app.config["SETTINGS"].timezone
    with data() as session:
        _draw(session, app, setup["inspectors"][0])
        sample = active_samples(session, MONTH)[0]
        for reason in ("", "   ", "no"):
            with pytest.raises(SamplingError, match="reason"):
                redraw(session, [sample], reason, zone, actor_id=setup["inspectors"][0])
        assert sample.active


def test_a_redraw_replaces_the_call_keeps_history_and_is_audited(app, data, setup):
    zone = app.config["SETTINGS"].timezone
    inspector = setup["inspectors"][0]
    with data() as session:
        original = _draw(session, app, inspector)[0].draw
        old = active_samples(session, MONTH)[1]
        old.entries, old.graded_at = {"greeting": True}, datetime.now(UTC)
        made = redraw(
            session, [old], "录音是打错电话 wrong number", zone, actor_id=inspector, seed=5
        )
        assert old.claim is None and old.retired_at is not None and old.retired_by == inspector
        assert old.entries == {"greeting": True}  # the grade stays as history
        assert made.replaces == [old.id] and made.reason == "录音是打错电话 wrong number"
        assert old.recording_id not in made.pool  # the rejected call is not drawn again
        assert not set(made.pool) & set(original.picked)
        assert replay(made) == made.picked
        (new,) = session.scalars(select(SampledCall).where(SampledCall.draw_id == made.id))
        assert new.slot == old.slot and new.active
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "inspection_draw")
        ).all()
        assert [e.action for e in events] == ["draw", "redraw"]
        assert events[1].detail["reason"] == "录音是打错电话 wrong number"
        assert events[1].user_id == inspector


def test_a_retired_sample_cannot_be_redrawn(app, data, setup):
    zone = app.config["SETTINGS"].timezone
    with data() as session:
        _draw(session, app, setup["inspectors"][0])
        sample = active_samples(session, MONTH)[0]
        redraw(session, [sample], "unusable audio", zone, actor_id=None)
        with pytest.raises(SamplingError, match="retired"):
            redraw(session, [sample], "unusable audio", zone, actor_id=None)


def test_ivr_sample_draws_for_every_inspector_and_keeps_sets(app, runner, setup):
    result = runner.invoke(args=["sample", "--month", MONTH, "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.count("drew 3 of") == 2
    assert "li " in result.output and "chen " in result.output

    again = runner.invoke(args=["sample", "--month", MONTH, "--inspector", "li"])
    assert again.exit_code == 0, again.output
    assert "kept the 3 calls already drawn" in again.output

    bad = runner.invoke(args=["sample", "--month", "2026-13"])
    assert bad.exit_code != 0 and "2026-11" in bad.output
    nobody = runner.invoke(args=["sample", "--month", MONTH, "--inspector", "nobody"])
    assert nobody.exit_code != 0 and "no inspector" in nobody.output


def test_ivr_inspection_redraw_needs_a_reason(app, runner, data, setup):
    runner.invoke(args=["sample", "--month", MONTH, "--inspector", "li"])
    with data() as session:
        sample_id = active_samples(session, MONTH)[0].id
    missing = runner.invoke(args=["inspection", "redraw", str(sample_id)])
    assert missing.exit_code != 0 and "--reason" in missing.output
    done = runner.invoke(args=["inspection", "redraw", str(sample_id), "--reason", "silent call"])
    assert done.exit_code == 0, done.output
    assert "redrew 1 call" in done.output
