"""Entries saved -> stored results -> report figures, against figures worked out by hand (spec §4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from ivr.inspection import entries as form_entries
from ivr.inspection.crosscheck import mismatches, sql_totals
from ivr.inspection.models import AgentMonthResult, ScoreFigure
from ivr.inspection.report import monthly_report, to_csv
from ivr.inspection.results import recompute, score_month
from ivr.inspection.sampling import active_samples, draw_month, redraw
from ivr.inspection.store import NotAllowed, save_grade, save_month_entries
from ivr.staff.models import AuditEvent, User
from tests.inspection.conftest import MONTH

D = Decimal


@pytest.fixture
def month(app, make_user, make_agent, make_call):
    """Inspectors A and B, team leader L, agent 1001 with seven long calls."""
    ids = {
        "A": make_user("insp-a", "inspector", "检查员甲"),
        "B": make_user("insp-b", "inspector", "检查员乙"),
        "L": make_user("leader", "team_leader", "班长"),
        "agent": make_agent("1001", name="王芳"),
    }
    for _ in range(7):
        make_call(ids["agent"])
    return ids


def draw(session, app, inspector_id: int, agent_id: int):
    draw_month(
        session,
        MONTH,
        session.get(User, inspector_id),
        app.config["SETTINGS"].timezone,
        rubric_id="12333-monthly",
    )
    return active_samples(session, MONTH, inspector_id=inspector_id, agent_id=agent_id)


def call(grading, **overrides):
    """A recording's full entries: nothing noted except ``overrides``."""
    return {**form_entries.defaults(grading.rubric.weighted_sections), **overrides}


def grade_all(session, grading, samples, calls, inspector_id):
    for sample, entries in zip(samples, calls, strict=True):
        save_grade(session, grading, sample, entries, actor_id=inspector_id)


def enter(session, grading, agent_id, leader_id, leader=None, direct=None, evidence=""):
    rubric = grading.rubric
    return save_month_entries(
        session,
        grading,
        MONTH,
        agent_id,
        leader={**form_entries.defaults(rubric.weighted_sections), **(leader or {})},
        direct={**form_entries.defaults(rubric.direct_sections), **(direct or {})},
        evidence=evidence,
        actor_id=leader_id,
    )


A_CALLS = dict(
    # policy 35 / 34 / 29; service 29.5 / 27 / 30
    first={"greeting": True},
    second={"accuracy": "from_94_1", "forbidden_phrase": True},
    third={"accuracy": "from_90_1", "analysis": "good"},
)


def test_the_40_60_month_by_hand(app, data, grading, month):
    """Policy: TL 29 (85.1–90% −6); calls 35, 34, 29 -> 32.67; 29×0.4 + 32.67×0.6 = 31.202 -> 31.20.
    Service: TL 30; calls 29.5, 27, 30 -> 28.83; 30×0.4 + 28.83×0.6 = 29.298 -> 29.30.
    Direct: discipline 15−2 = 13, summary 4, study 5, complaints 10−2 = 8, bonus +2.
    Base 31.20 + 29.30 + 13 + 4 + 5 + 8 = 90.50; total 92.50 -> A.
    """
    agent = month["agent"]
    with data() as session:
        samples = draw(session, app, month["A"], agent)
        grade_all(
            session, grading, samples, [call(grading, **c) for c in A_CALLS.values()], month["A"]
        )
        enter(
            session,
            grading,
            agent,
            month["L"],
            leader={"accuracy": "from_85_1"},
            direct={
                "loud_talking": 1,
                "monthly_summary": "4",
                "valid_complaint": 1,
                "praise_phone": 1,
            },
            evidence="11-12 来电表扬，录音已核实",
        )
    with data() as session:
        result = session.scalar(select(AgentMonthResult).where(AgentMonthResult.agent_id == agent))
        assert result.status == "complete"
        assert result.sections == {
            "policy": 3120,
            "service": 2930,
            "discipline": 1300,
            "summary": 400,
            "study": 500,
            "complaints": 800,
            "bonus": 200,
        }
        assert (result.total_x100, result.grade) == (9250, "A")
        assert result.detail["inspector_means"]["policy"] == {str(month["A"]): "32.67"}
        assert result.detail["inspector_means"]["service"] == {str(month["A"]): "28.83"}

        report = monthly_report(session, grading, MONTH, "0431")
        (row,) = report.rows
        assert row.total == D("92.50") and row.grade == "A"
        assert row.section("policy") == D("31.20") and row.section("service") == D("29.30")
        assert row.trend[-1] == (MONTH, D("92.50"))
        assert dict(report.distribution())["A"] == 1

        csv_text = to_csv(report, grading)
        assert csv_text.startswith("\ufeffmonth,centre,agent_number,name,status,policy 政策水平")
        assert (
            f"{MONTH},0431,1001,王芳,complete,31.20,29.30,13.00,4.00,5.00,8.00,2.00,92.50,A"
            in csv_text
        )
        assert mismatches(session, grading.rubric, MONTH) == []


def test_two_inspectors_are_averaged_and_kept_side_by_side(app, data, grading, month):
    """A: 35, 34, 29 -> 32.67; B: 35, 35, 32 -> 34.00; mean 33.335 -> 33.34;
    policy 29×0.4 + 33.34×0.6 = 31.604 -> 31.60."""
    agent = month["agent"]
    with data() as session:
        a = draw(session, app, month["A"], agent)
        b = draw(session, app, month["B"], agent)
        assert not {s.recording_id for s in a} & {s.recording_id for s in b}
        grade_all(session, grading, a, [call(grading, **c) for c in A_CALLS.values()], month["A"])
        b_calls = [call(grading), call(grading), call(grading, accuracy="from_90_1")]
        grade_all(session, grading, b, b_calls, month["B"])
        enter(session, grading, agent, month["L"], leader={"accuracy": "from_85_1"})
    with data() as session:
        scored = score_month(session, grading, MONTH, agent)
        policy = scored.score.sections["policy"]
        assert policy.inspector_means == {str(month["A"]): D("32.67"), str(month["B"]): D("34.00")}
        assert policy.recordings_mean == D("33.34")
        assert policy.score == D("31.60")
        result = session.scalar(select(AgentMonthResult).where(AgentMonthResult.agent_id == agent))
        assert result.sections["policy"] == 3160
        calls = session.scalars(
            select(ScoreFigure).where(
                ScoreFigure.source == "call", ScoreFigure.section_id == "policy"
            )
        ).all()
        assert sorted(f.score_x100 for f in calls) == [2900, 3200, 3400, 3500, 3500, 3500]
        assert sql_totals(session, grading.rubric, MONTH)[agent].sections["policy"] == 3160


def test_sections_never_go_below_zero_and_the_bonus_stops_at_20(app, data, grading, month):
    """Discipline −18 -> 0; complaints −12 -> 0; bonus 2×10 + 2 = 22 -> 20.
    Policy 35, service 30 (nothing noted anywhere), summary 5, study 5: 75 + 20 = 95."""
    agent = month["agent"]
    with data() as session:
        samples = draw(session, app, month["A"], agent)
        grade_all(session, grading, samples, [call(grading)] * 3, month["A"])
        enter(
            session,
            grading,
            agent,
            month["L"],
            direct={
                "loud_talking": 9,
                "valid_complaint": 6,
                "praise_banner": 2,
                "praise_phone": 1,
            },
            evidence="两面锦旗、一次电话表扬 two banners, one phone praise",
        )
    with data() as session:
        scored = score_month(session, grading, MONTH, agent)
        score = scored.score
        assert (
            score.sections["discipline"].score == 0 and score.sections["discipline"].tally.floored
        )
        assert score.sections["complaints"].score == 0
        assert score.bonus_raw == D("22.00") and score.bonus == D("20.00")
        assert score.total == D("95.00") and score.grade == "A"
        result = session.scalar(select(AgentMonthResult).where(AgentMonthResult.agent_id == agent))
        assert (result.total_x100, result.sections["bonus"]) == (9500, 2000)
        assert mismatches(session, grading.rubric, MONTH) == []


def test_a_total_of_exactly_90_is_a_b(app, data, grading, month):
    """Policy 35, service 30 everywhere; discipline −10 -> 5: base 90, no bonus -> B (A is above 90)."""
    agent = month["agent"]
    with data() as session:
        grade_all(
            session, grading, draw(session, app, month["A"], agent), [call(grading)] * 3, month["A"]
        )
        enter(session, grading, agent, month["L"], direct={"loud_talking": 5})
    with data() as session:
        result = session.scalar(select(AgentMonthResult).where(AgentMonthResult.agent_id == agent))
        assert (result.total_x100, result.grade) == (9000, "B")


def test_unfinished_months_are_partial_or_pending(app, data, grading, month):
    agent = month["agent"]
    with data() as session:
        samples = draw(session, app, month["A"], agent)
        scored = score_month(session, grading, MONTH, agent)
        assert scored.status == "pending" and scored.score is None
        save_grade(session, grading, samples[0], call(grading), actor_id=month["A"])
    with data() as session:
        result = session.scalar(select(AgentMonthResult).where(AgentMonthResult.agent_id == agent))
        assert result.status == "partial"
        assert "scored 1 calls, expected 3" in result.detail["warnings"][0]
        (row,) = monthly_report(session, grading, MONTH).rows
        assert row.total == D("100.00")  # nothing noted yet: full marks, flagged partial
        assert row.status == "partial"


def test_a_redrawn_calls_grade_no_longer_counts(app, data, grading, month):
    agent = month["agent"]
    zone = app.config["SETTINGS"].timezone
    with data() as session:
        samples = draw(session, app, month["A"], agent)
        grade_all(
            session,
            grading,
            samples,
            [call(grading, accuracy="below_80"), call(grading), call(grading)],
            month["A"],
        )
        before = score_month(session, grading, MONTH, agent).score.inspectors[str(month["A"])].means
        assert before["policy"] == D("30.00")  # (20 + 35 + 35) / 3
        redraw(
            session, [samples[0]], "不是本人接听 not the agent's call", zone, actor_id=month["A"]
        )
        recompute(session, grading, MONTH, agent)
    with data() as session:
        scored = score_month(session, grading, MONTH, agent)
        assert scored.score.inspectors[str(month["A"])].means["policy"] == D("35.00")
        assert len(scored.graded) == 2 and scored.status == "partial"


def test_only_the_inspector_who_drew_a_call_grades_it(app, data, grading, month):
    agent = month["agent"]
    with data() as session:
        sample = draw(session, app, month["A"], agent)[0]
        with pytest.raises(NotAllowed):
            save_grade(session, grading, sample, call(grading), actor_id=month["B"])


def test_grades_are_audited_with_suggestions_confirmed_or_overridden(app, data, grading, month):
    agent = month["agent"]
    with data() as session:
        sample = draw(session, app, month["A"], agent)[0]
        save_grade(
            session,
            grading,
            sample,
            call(grading, greeting=True),
            actor_id=month["A"],
            suggested={"greeting": True, "forbidden_phrase": True},
            note="  听过了 ",
        )
        assert sample.note == "听过了"
        save_grade(session, grading, sample, call(grading), actor_id=month["A"])
    with data() as session:
        first, second = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "grade").order_by(AuditEvent.id)
        ).all()
        assert first.user_id == month["A"] and first.object_id == str(sample.id)
        assert first.detail["suggestions_confirmed"] == ["greeting"]
        assert first.detail["suggestions_overridden"] == ["forbidden_phrase"]
        assert first.detail["scores"] == {"policy": "35", "service": "29.5"}
        assert second.detail["changed"] == {"greeting": [True, False]}


def test_bonus_points_need_their_evidence(app, data, grading, month):
    with data() as session, pytest.raises(ValueError, match="evidence"):
        enter(session, grading, month["agent"], month["L"], direct={"praise_phone": 1})


def test_the_report_rescores_results_of_an_older_rubric(app, data, grading, month):
    agent = month["agent"]
    with data() as session:
        grade_all(
            session, grading, draw(session, app, month["A"], agent), [call(grading)] * 3, month["A"]
        )
        result = session.scalar(select(AgentMonthResult).where(AgentMonthResult.agent_id == agent))
        result.rubric_digest, result.total_x100 = "an-older-file", 1
    with data() as session:
        (row,) = monthly_report(session, grading, MONTH).rows
        assert row.result.rubric_digest == grading.digest
        assert row.total == D("100.00")


def test_ivr_inspection_recompute_and_check(app, runner, data, grading, month):
    agent = month["agent"]
    with data() as session:
        grade_all(
            session, grading, draw(session, app, month["A"], agent), [call(grading)] * 3, month["A"]
        )
    checked = runner.invoke(args=["inspection", "check", "--month", MONTH])
    assert checked.exit_code == 0, checked.output
    assert "agree" in checked.output
    with data() as session:
        result = session.scalar(select(AgentMonthResult).where(AgentMonthResult.agent_id == agent))
        result.total_x100 = 1  # a stored result gone wrong
    broken = runner.invoke(args=["inspection", "check", "--month", MONTH])
    assert broken.exit_code == 1 and f"agent {agent}: stored 1" in broken.output
    fixed = runner.invoke(args=["inspection", "recompute", "--month", MONTH])
    assert fixed.exit_code == 0 and "scored 1 agent(s)" in fixed.output
    assert runner.invoke(args=["inspection", "check", "--month", MONTH]).exit_code == 0
