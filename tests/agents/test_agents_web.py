"""The agent's status page and the team leaders' dashboard, on both presence backends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr import db
from ivr.agents.presence import presence
from ivr.staff.models import AuditEvent, User
from tests.agents.conftest import BASE_TIME
from tests.harness import PASSWORD, csrf_token, log_in

CALL = "CA" + "5" * 32


@pytest.fixture
def leader(app):
    with app.app_context():
        user = User(username="banzhang", role="team_leader", display_name="班长")
        user.set_password(PASSWORD)
        db.session().add(user)
        db.session().commit()
    client = app.test_client()
    assert log_in(client, "banzhang").status_code == 302
    return client


def client_for(app, username: str):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def audits(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session().scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_agent_sees_and_sets_their_own_status(app, agents):
    agent = agents.add("zhao", status="offline")
    client = client_for(app, "zhao")
    page = client.get("/agents/me")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "离线 Offline" in html and agent.agent_number in html
    response = client.post(
        "/agents/me/status", data={"status": "available", "csrf_token": csrf_token(html)}
    )
    assert response.status_code == 302
    assert agents.status(agent) == "available"
    [event] = audits(app, "status")
    assert event.object_id == str(agent.id)
    assert event.detail == {
        "status": "available",
        "previous": "offline",
        "forced": False,
        "call_sid": "",
    }


def test_pausing_during_a_call_applies_after_it(app, agents):
    agent = agents.add("qian")
    with app.app_context():
        presence().claim("0432", CALL)
        db.session().commit()
    client = client_for(app, "qian")
    token = csrf_token(client.get("/agents/me").get_data(as_text=True))
    response = client.post(
        "/agents/me/status", data={"status": "paused", "csrf_token": token}, follow_redirects=True
    )
    assert "通话结束后将改为 After this call: 示忙 Paused" in response.get_data(as_text=True)
    assert (agents.status(agent), agents.state(agent).after) == ("busy", "paused")
    agents.release(CALL)
    assert agents.status(agent) == "paused"


def test_agents_cannot_choose_busy_or_post_without_a_token(app, agents):
    agent = agents.add("sun", status="paused")
    client = client_for(app, "sun")
    token = csrf_token(client.get("/agents/me").get_data(as_text=True))
    client.post("/agents/me/status", data={"status": "busy", "csrf_token": token})
    assert client.post("/agents/me/status", data={"status": "available"}).status_code == 400
    assert agents.status(agent) == "paused"


def test_a_user_without_an_agent_record_is_told_so(app):
    with app.app_context():
        user = User(username="newagent", role="agent")
        user.set_password(PASSWORD)
        db.session().add(user)
        db.session().commit()
    html = client_for(app, "newagent").get("/agents/me").get_data(as_text=True)
    assert "ivr agents add" in html


def test_the_dashboard_shows_each_centre_its_agents_and_waiting_callers(app, agents, leader):
    agents.add("a1")
    agents.add("a2", status="paused")
    agents.add("a3")
    agents.add("a4", centre="0431", status="offline")
    with app.app_context():
        backend = presence()
        backend.claim("0432", CALL)  # one of the two available agents takes a call
        backend.join_queue("0431", "CA" + "6" * 32, now=BASE_TIME + timedelta(minutes=59))
        backend.join_queue(
            "0431", "CA" + "7" * 32, now=BASE_TIME + timedelta(minutes=59, seconds=30)
        )
        db.session().commit()
    page = leader.get("/agents/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = dict(
        re.findall(
            r'<a href="#centre-(\w+)">[^<]+</a></th>\s*((?:<td[^>]*>.*?</td>\s*){6})', html, re.S
        )
    )
    cells = {code: re.findall(r"<td[^>]*>\s*([^<]*)", row) for code, row in rows.items()}
    # available, busy, paused, offline, waiting, longest wait (frozen clock: 10:00)
    assert [c.strip() for c in cells["0432"]] == ["1", "1", "1", "0", "0", "—"]
    assert [c.strip() for c in cells["0431"]] == ["0", "0", "0", "1", "2", "1:00"]
    assert "无空闲座席 None free" in html
    assert 'http-equiv="refresh"' in html


def test_a_team_leader_can_free_a_stuck_agent(app, agents, leader):
    agent = agents.add("stuck")
    with app.app_context():
        presence().claim("0432", CALL)
        db.session().commit()
    token = csrf_token(leader.get("/agents/").get_data(as_text=True))
    response = leader.post(
        f"/agents/{agent.id}/status", data={"status": "available", "csrf_token": token}
    )
    assert response.status_code == 302
    state = agents.state(agent)
    assert (state.status, state.call_sid) == ("available", "")
    [event] = audits(app, "status")
    assert event.detail["forced"] is True and event.detail["call_sid"] == CALL


@pytest.mark.parametrize(
    ("role", "path"), [("agent", "/agents/"), ("staff", "/agents/"), ("staff", "/agents/me")]
)
def test_pages_are_limited_by_role(app, role, path):
    with app.app_context():
        user = User(username="someone", role=role)
        user.set_password(PASSWORD)
        db.session().add(user)
        db.session().commit()
    assert client_for(app, "someone").get(path).status_code == 403


def test_logged_out_visitors_are_sent_to_the_login(client):
    response = client.get("/agents/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
