"""``ivr agents add|list|status|demo`` on both presence backends."""

from __future__ import annotations

from sqlalchemy import func, select

from ivr import db
from ivr.agents.models import Agent
from ivr.staff.models import User


def invoke(runner, *args: str, **kwargs):
    return runner.invoke(args=["agents", *args], **kwargs)


def test_add_creates_the_agent_user_and_list_shows_it(app, runner):
    result = invoke(
        runner, "add", "zhangwei", "--centre", "0431", "--number", "1024",
        "--phone", "+8643188880001", "--name", "张伟",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "added (new user): agent 1024 zhangwei at 长春市 (0431)" in result.output
    with app.app_context():
        agent = db.session().scalars(select(Agent)).one()
        assert (agent.user.role, agent.user.display_name) == ("agent", "张伟")
        assert (agent.centre, agent.phone) == ("0431", "+8643188880001")
    listed = invoke(runner, "list")
    assert listed.exit_code == 0
    assert "0431" in listed.output and "1024" in listed.output and "offline" in listed.output


def test_add_uses_an_existing_agent_user_and_updates_on_a_second_run(app, runner, agents):
    invoke(runner, "add", "li", "--centre", "0432", "--number", "7", "--phone", "+8643200000007")
    again = invoke(
        runner,
        "add",
        "li",
        "--centre",
        "0433",
        "--number",
        "8",
        "--phone",
        "sip:8@pbx.example.test",
    )
    assert again.exit_code == 0, again.output
    assert again.output.startswith("updated: agent 8 li at 延边州 (0433)")
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Agent)) == 1


def test_add_with_a_password_from_stdin(app, runner):
    result = invoke(
        runner, "add", "wu", "--centre", "provincial", "--number", "9", "--phone", "+8643112339",
        "--password-stdin", input="correct horse 12333\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session().scalars(select(User).where(User.username == "wu")).one()
        assert user.check_password("correct horse 12333")


def test_add_refuses_bad_input(app, runner):
    with app.app_context():
        staff = User(username="clerk", role="staff")
        staff.set_password("correct horse 12333")
        db.session().add(staff)
        db.session().commit()
    cases = [
        (["--centre", "0999", "--number", "1", "--phone", "+8643100000001"], "unknown centre"),
        (["--centre", "0431", "--number", "x1", "--phone", "+8643100000001"], "digits only"),
        (["--centre", "0431", "--number", "1", "--phone", "12345"], "expected +"),
    ]
    for options, message in cases:
        result = invoke(runner, "add", "newbie", *options)
        assert result.exit_code != 0 and message in result.output, result.output
    result = invoke(
        runner, "add", "clerk", "--centre", "0431", "--number", "1", "--phone", "+8643100000001"
    )
    assert result.exit_code != 0 and "has the role staff" in result.output
    invoke(runner, "add", "a1", "--centre", "0431", "--number", "5", "--phone", "+8643100000005")
    result = invoke(
        runner, "add", "a2", "--centre", "0431", "--number", "5", "--phone", "+8643100000006"
    )
    assert result.exit_code != 0 and "agent number 5 belongs to a1" in result.output


def test_status_sets_and_clears_a_stuck_call(app, runner, agents):
    agent = agents.add("zhou")
    assert invoke(runner, "status", "zhou", "paused").output.strip() == "zhou: paused"
    assert agents.status(agent) == "paused"
    with app.app_context():
        from ivr.agents.presence import presence

        presence().set_status(agent, "available")
        presence().claim("0432", "CA" + "1" * 32)
        db.session().commit()
    result = invoke(runner, "status", "zhou", "available")
    assert result.output.strip() == "zhou: available"
    assert agents.state(agent).call_sid == ""
    assert invoke(runner, "status", "nobody", "paused").exit_code != 0
    assert invoke(runner, "status", "zhou", "busy").exit_code != 0


def test_demo_creates_available_agents_in_every_centre_once(app, runner):
    first = invoke(runner, "demo")
    assert first.exit_code == 0, first.output
    assert "20 demo agents available in 10 centres" in first.output
    assert invoke(runner, "demo").exit_code == 0
    with app.app_context():
        agents = db.session().scalars(select(Agent)).all()
        assert len(agents) == 20
        assert {a.centre for a in agents} >= {"provincial", "0431", "0439"}
        from ivr.agents.presence import presence

        assert {s.status for s in presence().states(agents).values()} == {"available"}
