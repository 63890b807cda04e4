"""``ivr inspection demo``: a month ready to grade, graded history, printed logins; idempotent."""

from __future__ import annotations

import wave

from sqlalchemy import func, select

from ivr.agents.models import Agent, CallRecording
from ivr.inspection.crosscheck import mismatches
from ivr.inspection.demo import CENTRES
from ivr.inspection.models import AgentMonthResult, SampledCall
from ivr.inspection.months import current, recent
from ivr.inspection.sampling import active_samples
from ivr.staff.auth import find_user


def test_the_demo_leaves_a_month_ready_to_grade(app, runner, data, grading):
    month = current(app.config["SETTINGS"].timezone)
    result = runner.invoke(args=["inspection", "demo", "--tones", "--password", "demo-pass-12333"])
    assert result.exit_code == 0, result.output
    assert "zhijian1   inspector    李娜, password demo-pass-12333" in result.output
    for username in ("zhijian1", "zhijian2", "banzhang"):
        assert username in result.output
    assert "tone bursts" in result.output

    with data() as session:
        first = find_user(session, "zhijian1")
        assert first.role == "inspector" and first.check_password("demo-pass-12333")
        assert find_user(session, "banzhang").role == "team_leader"
        agents = session.scalars(
            select(Agent)
            .where(Agent.centre.in_(CENTRES))
            .order_by(Agent.centre, Agent.agent_number)
        ).all()
        n = len(agents)
        assert n >= 4
        assert all(a.user.check_password("demo-pass-12333") for a in agents)  # agents log in too
        calls = session.scalars(select(CallRecording)).all()
        assert len(calls) == n * 9 * 4
        assert {c.transcript["demo_audio"] for c in calls} == {
            "演示录音：以音调代替语音 Demo audio: tone bursts stand in for speech (espeak-ng not used)"
        }
        short = [c for c in calls if c.duration < 30]
        assert len(short) == n * 2 * 4  # two per agent and month, never sampled
        with wave.open(str(app.config["SETTINGS"].recordings_dir / calls[0].audio_path)) as audio:
            assert audio.getnchannels() == 2

        # This month: the first inspector has three calls per agent to grade, the second graded.
        mine = active_samples(session, month, inspector_id=first.id)
        assert len(mine) == n * 3 and not any(s.graded for s in mine)
        theirs = active_samples(session, month, inspector_id=find_user(session, "zhijian2").id)
        assert len(theirs) == n * 3 and all(s.graded for s in theirs)
        # ... and one of the first agent's calls has forbidden phrases in it.
        assert any(
            s.recording.audio_path.startswith("agent-call/demo/forbidden")
            for s in mine
            if s.agent_id == agents[0].id
        )
        # The months before are graded completely, for the trend.
        for past in recent(month, 4)[:-1]:
            results = session.scalars(
                select(AgentMonthResult).where(AgentMonthResult.month == past)
            ).all()
            assert len(results) == n and {r.status for r in results} == {"complete"}
            assert mismatches(session, grading.rubric, past) == []
        samples = session.scalar(select(func.count()).select_from(SampledCall))

    again = runner.invoke(args=["inspection", "demo", "--tones", "--password", "demo-pass-12333"])
    assert again.exit_code == 0, again.output
    assert "recorded calls: 0 new" in again.output
    with data() as session:
        assert session.scalar(select(func.count()).select_from(SampledCall)) == samples


def test_running_the_demo_again_keeps_every_password(app, runner, data):
    first = runner.invoke(args=["inspection", "demo", "--tones", "--password", "demo-pass-12333"])
    assert first.exit_code == 0, first.output
    with data() as session:
        agent = session.scalars(
            select(Agent)
            .where(Agent.centre.in_(CENTRES))
            .order_by(Agent.centre, Agent.agent_number)
        ).first()
        agent_name = agent.user.username
        for username in ("zhijian1", agent_name):
            find_user(session, username).set_password(f"{username}-changed-it")
        find_user(session, "zhijian2").active = False

    again = runner.invoke(args=["inspection", "demo", "--tones"])  # a new random password
    assert again.exit_code == 0, again.output
    assert "zhijian1   inspector    李娜, its own password (kept)" in again.output
    assert "running the demo again changes no password" in again.output
    with data() as session:
        assert find_user(session, "zhijian1").check_password("zhijian1-changed-it")
        assert find_user(session, agent_name).check_password(f"{agent_name}-changed-it")
        assert find_user(session, "banzhang").check_password("demo-pass-12333")
        assert not find_user(session, "zhijian2").active  # deactivated stays deactivated
