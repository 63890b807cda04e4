"""The inspection pages: who may open what, CSRF, grading, listening, entries, the report."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ivr.inspection.models import AgentMonthEntry, AgentMonthResult, SampledCall
from ivr.inspection.sampling import active_samples, draw_month
from ivr.staff.models import AuditEvent, User
from tests.inspection.conftest import MONTH, csrf_token


@pytest.fixture
def world(app, data, make_user, make_agent, make_call):
    """Inspectors A and B, team leader L, two agents; A has drawn both agents' calls."""
    ids = {
        "A": make_user("insp-a", "inspector", "李娜"),
        "B": make_user("insp-b", "inspector", "陈静"),
        "L": make_user("leader", "team_leader", "王强"),
        "agent1": make_agent("1001", name="王芳"),
        "agent2": make_agent("1002", name="刘洋"),
    }
    for agent in (ids["agent1"], ids["agent2"]):
        for _ in range(4):
            make_call(agent, script="forbidden")
    with data() as session:
        draw_month(
            session,
            MONTH,
            session.get(User, ids["A"]),
            app.config["SETTINGS"].timezone,
            rubric_id="12333-monthly",
            seed=1,
        )
        samples = active_samples(session, MONTH, inspector_id=ids["A"])
        ids["s1"] = next(s.id for s in samples if s.agent_id == ids["agent1"])
        ids["s2"] = next(s.id for s in samples if s.agent_id == ids["agent2"])
    return ids


def audits(data, action: str) -> list[AuditEvent]:
    with data() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def sample_row(data, sample_id: int) -> SampledCall:
    with data() as session:
        return session.get(SampledCall, sample_id)


# --- who may see what -------------------------------------------------------
def test_anonymous_visitors_are_asked_to_log_in(client, world):
    for url in (f"/inspection/{MONTH}/report", f"/inspection/samples/{world['s1']}/audio"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_an_agent_sees_only_their_own_results_and_calls(login, world):
    agent = login("agent1001")
    own = agent.get(f"/inspection/{MONTH}/agents/{world['agent1']}")
    assert own.status_code == 200
    assert "质检员 Inspector 1" in own.get_data(as_text=True)  # inspectors unnamed to agents
    assert "李娜" not in own.get_data(as_text=True)
    assert agent.get(f"/inspection/{MONTH}/agents/{world['agent2']}").status_code == 403
    assert agent.get(f"/inspection/samples/{world['s2']}").status_code == 403
    assert agent.get(f"/inspection/samples/{world['s2']}/audio").status_code == 403
    assert agent.get(f"/inspection/{MONTH}/report").status_code == 403
    assert agent.get(f"/inspection/{MONTH}/report.csv").status_code == 403
    assert agent.get(f"/inspection/{MONTH}/samples").status_code == 403
    page = agent.get(f"/inspection/samples/{world['s1']}")
    assert page.status_code == 200
    assert "保存评分 Save grade" not in page.get_data(as_text=True)  # read-only
    with agent.get(f"/inspection/samples/{world['s1']}/audio") as audio:
        assert audio.status_code == 200
    assert agent.get("/inspection/").headers["Location"].endswith("/inspection/me")


def test_an_agent_cannot_grade_even_their_own_call(login, world, data):
    agent = login("agent1001")
    token = csrf_token(agent.get(f"/inspection/samples/{world['s1']}").get_data(as_text=True))
    response = agent.post(
        f"/inspection/samples/{world['s1']}", data={"csrf_token": token, "i-greeting": "1"}
    )
    assert response.status_code == 403
    assert not sample_row(data, world["s1"]).graded


def test_inspectors_open_only_their_own_calls(login, world):
    other = login("insp-b")
    assert other.get(f"/inspection/samples/{world['s1']}").status_code == 403
    assert other.get(f"/inspection/samples/{world['s1']}/audio").status_code == 403
    assert other.get(f"/inspection/{MONTH}/agents/{world['agent1']}").status_code == 200
    assert other.get(f"/inspection/{MONTH}/report").status_code == 200
    assert other.get(f"/inspection/{MONTH}/agents/{world['agent1']}/entries").status_code == 403


def test_a_team_leader_reads_calls_but_does_not_grade_them(login, world, data):
    leader = login("leader")
    page = leader.get(f"/inspection/samples/{world['s1']}")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    response = leader.post(f"/inspection/samples/{world['s1']}", data={"csrf_token": token})
    assert response.status_code == 403
    assert not sample_row(data, world["s1"]).graded


def read_only_notice(html: str) -> str | None:
    match = re.search(r'<p class="notice" id="read-only">([^<]*)</p>', html)
    return match.group(1) if match else None


def test_a_read_only_grading_page_says_why(login, world, data):
    url = f"/inspection/samples/{world['s1']}"
    inspector = login("insp-a")
    assert read_only_notice(inspector.get(url).get_data(as_text=True)) is None
    leader_page = login("leader").get(url).get_data(as_text=True)
    assert read_only_notice(leader_page) == (
        "只读：只有抽取此通话的质检员（李娜）可以评分。 "
        "Read-only: only the inspector who drew this call (李娜) grades it."
    )
    agent_page = login("agent1001").get(url).get_data(as_text=True)
    assert "这是您的通话的评分结果" in read_only_notice(agent_page)
    assert "李娜" not in agent_page  # inspectors stay unnamed to agents

    token = csrf_token(inspector.get(url).get_data(as_text=True))
    inspector.post(f"{url}/redraw", data={"csrf_token": token, "reason": "转接 transferred"})
    assert not sample_row(data, world["s1"]).active
    redrawn = inspector.get(url).get_data(as_text=True)
    assert "此通话已重抽" in read_only_notice(redrawn)
    assert "保存评分 Save grade" not in redrawn


def test_a_bad_month_is_not_found(login, world):
    assert login("leader").get("/inspection/2026-13/report").status_code == 404


# --- grading ------------------------------------------------------------------
def test_the_grading_page_prefills_the_transcripts_suggestions(login, world, data):
    inspector = login("insp-a")
    page = inspector.get(f"/inspection/samples/{world['s1']}").get_data(as_text=True)
    assert 'id="player"' in page and f"/inspection/samples/{world['s1']}/audio" in page
    # The forbidden phrase: heard, with the moment to jump to, and its deduction ticked.
    assert "服务禁语 Forbidden phrase" in page and "听到禁语 Heard" in page
    assert re.search(
        r'<input type="checkbox" id="f-forbidden_phrase" name="i-forbidden_phrase" value="1" data-amount="3" checked>',
        page,
    )
    assert 'data-apply="forbidden_phrase"' in page
    assert re.search(r'class="seek" data-t="\d+\.\d\d"', page)
    assert 'class="w" data-t=' in page  # clickable words
    assert "来电人 Caller" in page and "咨询员 Agent" in page
    assert audits(data, "view")[-1].object_id == str(world["s1"])


def test_saving_a_grade_scores_it_on_the_server(login, world, data):
    inspector = login("insp-a")
    token = csrf_token(inspector.get(f"/inspection/samples/{world['s1']}").get_data(as_text=True))
    response = inspector.post(
        f"/inspection/samples/{world['s1']}",
        data={
            "csrf_token": token,
            "i-accuracy": "from_94_1",
            "i-forbidden_phrase": "1",
            "i-greeting": "1",
            "note": "禁语两处",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/inspection/{MONTH}/samples#agent-{world['agent1']}"
    )
    sample = sample_row(data, world["s1"])
    assert sample.graded and sample.graded_by == world["A"]
    assert sample.entries["accuracy"] == "from_94_1" and sample.entries["forbidden_phrase"] is True
    assert sample.entries["closing"] is False and sample.note == "禁语两处"
    assert sample.suggested["forbidden_phrase"] is True
    (grade,) = audits(data, "grade")
    assert grade.user_id == world["A"]
    assert grade.detail["scores"] == {"policy": "34", "service": "26.5"}
    assert "forbidden_phrase" in grade.detail["suggestions_confirmed"]
    with data() as session:
        result = session.scalar(
            select(AgentMonthResult).where(AgentMonthResult.agent_id == world["agent1"])
        )
        assert result.status == "partial"
    flashed = inspector.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存 Saved call" in flashed and "政策水平 34.00" in flashed


def test_a_form_without_its_csrf_token_is_refused(login, world, data):
    inspector = login("insp-a")
    inspector.get(f"/inspection/samples/{world['s1']}")
    for token in (None, "forged-token"):
        form = {"i-greeting": "1"} | ({"csrf_token": token} if token else {})
        response = inspector.post(f"/inspection/samples/{world['s1']}", data=form)
        assert response.status_code == 400
    assert not sample_row(data, world["s1"]).graded
    assert audits(data, "grade") == []


def test_bad_values_are_shown_again_and_nothing_is_saved(login, world, data):
    inspector = login("insp-a")
    token = csrf_token(inspector.get(f"/inspection/samples/{world['s1']}").get_data(as_text=True))
    response = inspector.post(
        f"/inspection/samples/{world['s1']}",
        data={"csrf_token": token, "i-accuracy": "perfect", "i-mandarin": "1"},
    )
    assert response.status_code == 400
    assert "未知等级 Unknown level" in response.get_data(as_text=True)
    assert not sample_row(data, world["s1"]).graded


# --- listening --------------------------------------------------------------
def test_audio_is_range_friendly_and_each_listen_is_audited_once(login, world, data):
    inspector = login("insp-a")
    url = f"/inspection/samples/{world['s1']}/audio"
    with inspector.get(url, headers={"Range": "bytes=0-"}) as first:
        assert first.status_code == 206
        assert first.headers["Accept-Ranges"] == "bytes" and first.mimetype == "audio/wav"
        assert first.headers["Cache-Control"] == "no-store, private"
        assert first.data[:4] == b"RIFF"
    with inspector.get(url, headers={"Range": "bytes=4096-8191"}) as more:
        assert more.status_code == 206 and len(more.data) == 4096
    (listen,) = audits(data, "listen")
    assert listen.user_id == world["A"] and listen.object_type == "call_recording"
    assert listen.detail["sample_id"] == world["s1"]
    with inspector.get(url) as whole:
        assert whole.status_code == 200
    assert len(audits(data, "listen")) == 2


# --- redraw, draw -----------------------------------------------------------------
def test_a_redraw_without_a_reason_is_refused(login, world, data):
    inspector = login("insp-a")
    page = inspector.get(f"/inspection/samples/{world['s1']}").get_data(as_text=True)
    token = csrf_token(page)
    refused = inspector.post(
        f"/inspection/samples/{world['s1']}/redraw", data={"csrf_token": token, "reason": " "}
    )
    assert refused.status_code == 302
    assert sample_row(data, world["s1"]).active
    done = inspector.post(
        f"/inspection/samples/{world['s1']}/redraw",
        data={"csrf_token": token, "reason": "坐席转接，非本人 transferred call"},
    )
    assert done.status_code == 302
    assert not sample_row(data, world["s1"]).active
    (event,) = audits(data, "redraw")
    assert event.detail["reason"] == "坐席转接，非本人 transferred call"
    assert event.user_id == world["A"]


def test_an_inspector_draws_their_own_set_from_the_page(login, world, data):
    inspector = login("insp-b")
    page = inspector.get(f"/inspection/{MONTH}/samples").get_data(as_text=True)
    assert "抽取 Draw (2 agents)" in page
    response = inspector.post(
        f"/inspection/{MONTH}/draw", data={"csrf_token": csrf_token(page), "min_seconds": "30"}
    )
    assert response.status_code == 302
    with data() as session:
        mine = active_samples(session, MONTH, inspector_id=world["B"])
        theirs = active_samples(session, MONTH, inspector_id=world["A"])
    assert len(mine) == 2  # four calls each, three already with A: one left per agent
    assert not {s.recording_id for s in mine} & {s.recording_id for s in theirs}
    assert "Too few eligible calls" in inspector.get(response.headers["Location"]).get_data(
        as_text=True
    )


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "-inf"])
def test_a_draw_with_a_shortest_call_that_is_not_a_number_is_refused(login, world, data, value):
    inspector = login("insp-b")
    page = inspector.get(f"/inspection/{MONTH}/samples").get_data(as_text=True)
    response = inspector.post(
        f"/inspection/{MONTH}/draw", data={"csrf_token": csrf_token(page), "min_seconds": value}
    )
    assert response.status_code in (200, 302, 400)
    with data() as session:
        assert active_samples(session, MONTH, inspector_id=world["B"]) == []


def test_team_leaders_do_not_draw(login, world):
    leader = login("leader")
    token = csrf_token(leader.get(f"/inspection/{MONTH}/samples").get_data(as_text=True))
    assert leader.post(f"/inspection/{MONTH}/draw", data={"csrf_token": token}).status_code == 403


# --- team-leader entries and the report ------------------------------------------
def test_team_leader_entries_need_evidence_for_a_bonus(login, world, data):
    leader = login("leader")
    url = f"/inspection/{MONTH}/agents/{world['agent1']}/entries"
    token = csrf_token(leader.get(url).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "i-accuracy": "from_85_1",
        "i-loud_talking": "1",
        "i-praise_phone": "1",
    }
    refused = leader.post(url, data=form)
    assert refused.status_code == 400
    assert "Bonus points need their evidence" in refused.get_data(as_text=True)
    saved = leader.post(url, data=form | {"evidence": "11-12 电话表扬，录音已核实"})
    assert saved.status_code == 302
    with data() as session:
        entry = session.scalar(
            select(AgentMonthEntry).where(AgentMonthEntry.agent_id == world["agent1"])
        )
        assert entry.leader_entries["accuracy"] == "from_85_1"
        assert (
            entry.direct_entries["loud_talking"] == 1 and entry.direct_entries["praise_phone"] == 1
        )
        assert entry.entered_by == world["L"]
    assert audits(data, "grade")[-1].object_type == "inspection_entry"
    page = leader.get(saved.headers["Location"]).get_data(as_text=True)
    assert "11-12 电话表扬，录音已核实" in page


def test_the_report_lists_agents_with_a_chart_and_exports_csv(login, world, data):
    inspector = login("insp-a")
    page = inspector.get(f"/inspection/samples/{world['s1']}").get_data(as_text=True)
    inspector.post(
        f"/inspection/samples/{world['s1']}",
        data={"csrf_token": csrf_token(page), "i-forbidden_phrase": "1"},
    )
    leader = login("leader")
    report = leader.get(f"/inspection/{MONTH}/report?centre=0431").get_data(as_text=True)
    assert '<svg class="chart"' in report and 'class="grid sortable"' in report
    assert "#1001" in report and "#1002" in report
    exported = leader.get(f"/inspection/{MONTH}/report.csv?centre=0431")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    lines = exported.get_data(as_text=True).splitlines()
    assert len(lines) == 3
    # One call: policy 35, service 27 (forbidden −3); no team-leader entry (full marks).
    # Policy 35; service 30×0.4 + 27×0.6 = 28.20; direct 35 -> 98.20 A.
    assert lines[1].startswith(
        f"{MONTH},0431,1001,王芳,partial,35.00,28.20,15.00,5.00,5.00,10.00,0.00,98.20,A"
    )
    assert lines[2].startswith(f"{MONTH},0431,1002,刘洋,pending,")
    assert audits(data, "export")[-1].detail == {"centre": "0431"}


def test_an_admin_draws_for_a_chosen_inspector(login, world, data, make_user):
    make_user("boss", "admin", "管理员")
    admin = login("boss")
    page = admin.get(f"/inspection/{MONTH}/samples").get_data(as_text=True)
    assert 'name="inspector"' in page and "陈静" in page
    response = admin.post(
        f"/inspection/{MONTH}/draw",
        data={"csrf_token": csrf_token(page), "inspector": str(world["B"]), "min_seconds": "30"},
    )
    assert response.status_code == 302
    with data() as session:
        assert len(active_samples(session, MONTH, inspector_id=world["B"])) == 2
    assert audits(data, "draw")[-1].user_id != world["B"]  # the admin did it
