"""Tickets in the staff UI: lists and overdue, handling, follow-up, closing, audit, roles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ivr import db
from ivr.complaints import service
from ivr.complaints.models import Ticket
from ivr.staff.models import AuditEvent, User
from tests.harness import PASSWORD, csrf_token, log_in

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in the centre


@pytest.fixture(autouse=True)
def office_hours(at):
    at(2026, 11, 23, 10, 0)


@pytest.fixture
def users(app) -> dict[str, int]:
    made = {}
    with app.app_context():
        for username, role in (
            ("boss", "admin"),
            ("banzhang", "team_leader"),
            ("wang", "staff"),
            ("zhao", "agent"),
            ("qian", "agent"),
        ):
            user = User(username=username, role=role, display_name=username.title())
            user.set_password(PASSWORD)
            db.session().add(user)
            db.session().flush()
            made[username] = user.id
        db.session().commit()
    return made


@pytest.fixture
def make_ticket(app):
    def make(hours_ago: float = 1, **fields) -> int:
        with app.app_context():
            fields.setdefault("caller", "+8613904311234")
            fields.setdefault("content", "养老金没有按时发放")
            item = service.open_ticket(db.session(), now=NOW - timedelta(hours=hours_ago), **fields)
            db.session().commit()
            return item.id

    return make


def client_for(app, username: str):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def get_ticket(app, ticket_id: int) -> Ticket:
    with app.app_context():
        item = db.session().get(Ticket, ticket_id)
        item.contacts  # noqa: B018 - loaded while the session is open
        return item


def audit_trail(app, ticket_id: int) -> list[tuple[str, dict]]:
    with app.app_context():
        events = db.session().scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "ticket", AuditEvent.object_id == str(ticket_id))
            .order_by(AuditEvent.id)
        )
        return [(e.action, e.detail) for e in events]


def listed(html: str) -> dict[int, str]:
    """Ticket number -> the row's class."""
    return {
        int(number): cls
        for cls, number in re.findall(r'<tr(?: class="(\w+)")? data-ticket="(\d+)">', html)
    }


def test_open_tickets_are_listed_most_urgent_first_with_overdue_ones_highlighted(
    app, users, make_ticket
):
    late = make_ticket(hours_ago=13)  # a service request: due within 12 hours
    fresh = make_ticket(hours_ago=1)
    public = make_ticket(hours_ago=13, matter="public")  # three days: not late
    closed = make_ticket(status="closed")
    html = client_for(app, "wang").get("/tickets/").get_data(as_text=True)
    rows = listed(html)
    assert list(rows) == [late, fresh, public]
    assert rows[late] == "overdue" and rows[fresh] == rows[public] == ""
    assert "已超期 Overdue" in html
    assert "+86****234" in html and "+8613904311234" not in html  # masked in lists
    overdue = client_for(app, "wang").get("/tickets/?show=overdue").get_data(as_text=True)
    assert list(listed(overdue)) == [late]
    assert list(
        listed(client_for(app, "wang").get("/tickets/?show=closed").get_data(as_text=True))
    ) == [closed]


def test_agents_see_only_the_tickets_they_own(app, users, make_ticket):
    mine = make_ticket(owner_id=users["zhao"])
    other = make_ticket(owner_id=users["qian"])
    desk = make_ticket()
    client = client_for(app, "zhao")
    assert list(listed(client.get("/tickets/?show=all").get_data(as_text=True))) == [mine]
    assert client.get(f"/tickets/{mine}").status_code == 200
    assert client.get(f"/tickets/{other}").status_code == 403
    assert client.get(f"/tickets/{desk}").status_code == 403


def test_desk_and_mine_filters(app, users, make_ticket):
    desk = make_ticket()
    mine = make_ticket(owner_id=users["wang"])
    client = client_for(app, "wang")
    assert list(listed(client.get("/tickets/?show=desk").get_data(as_text=True))) == [desk]
    assert list(listed(client.get("/tickets/?show=mine").get_data(as_text=True))) == [mine]


def new_ticket_form(token: str, **changes: str) -> dict[str, str]:
    """The new-ticket form as a letter's suggestion would fill it."""
    return {
        "csrf_token": token,
        "channel": "letter",
        "category": "suggestion",
        "matter": "public",
        "caller": "043188881234",
        "caller_name": "李先生",
        "about_agent": "0",
        "content": "建议延长周六服务时间",
        "handling": "",
        **changes,
    }


def test_opening_a_ticket_makes_the_first_contact_its_owner(app, users):
    client = client_for(app, "zhao")
    token = csrf_token(client.get("/tickets/new").get_data(as_text=True))
    form = new_ticket_form(token)
    response = client.post("/tickets/new", data=form)
    assert response.status_code == 302
    [item] = [get_ticket(app, int(response.headers["Location"].rsplit("/", 1)[-1]))]
    assert (item.owner_id, item.channel, item.category) == (users["zhao"], "letter", "suggestion")
    assert item.due_at.replace(tzinfo=UTC) - item.opened_at.replace(tzinfo=UTC) == timedelta(days=3)
    assert audit_trail(app, item.id) == [
        ("create", {"channel": "letter", "category": "suggestion", "matter": "public"})
    ]
    empty = client.post("/tickets/new", data={**form, "content": ""})
    assert empty.status_code == 400 and "请填写内容" in empty.get_data(as_text=True)


def test_a_ticket_is_handled_followed_up_and_closed_with_every_step_audited(
    app, users, make_ticket
):
    ticket_id = make_ticket()
    leader = client_for(app, "banzhang")
    page = leader.get(f"/tickets/{ticket_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "+8613904311234" in html  # full number to call back
    token = csrf_token(html)

    def post(path: str, **data: str):
        response = leader.post(f"/tickets/{ticket_id}{path}", data={"csrf_token": token, **data})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return leader.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    post("/owner", owner=str(users["wang"]))
    post("/status", status="in_progress")
    post(
        "",
        category="complaint",
        matter="service",
        caller="+8613904311234",
        caller_name="张女士",
        about_agent="0",
        content="养老金没有按时发放",
        handling="已联系社保经办机构核实",
        result="",
    )
    post("/status", status="follow_up")
    html = post("/status", status="closed")
    assert "回访未完成" in html and get_ticket(app, ticket_id).status == "follow_up"
    post("/contacts", outcome="reached", note="来电人表示满意")
    html = post("/status", status="closed")
    item = get_ticket(app, ticket_id)
    assert (item.status, item.closed_reason, item.owner_id) == (
        "closed",
        "followed-up",
        users["wang"],
    )
    assert "已回访 Caller reached at follow-up" in html

    trail = audit_trail(app, ticket_id)
    actions = [action for action, _ in trail]
    assert actions == [
        "view", "assign", "view", "status", "view", "update", "view", "status", "view",
        "view", "contact", "view", "status", "view",
    ]  # fmt: skip
    details = [detail for action, detail in trail if action != "view"]
    assert details[0] == {"owner_id": [None, users["wang"]]}
    assert details[1] == {"status": ["received", "in_progress"]}
    assert details[2] == {
        "caller_name": ["", "张女士"],
        "handling": ["", "已联系社保经办机构核实"],
    }
    assert details[3]["status"] == ["in_progress", "follow_up"]
    assert details[4] == {"outcome": [None, "reached"]}
    assert details[5]["status"] == ["follow_up", "closed"]
    assert "wang (wang)" in html or "Wang" in html


def test_three_failed_attempts_allow_closing(app, users, make_ticket):
    ticket_id = make_ticket(owner_id=users["wang"])
    client = client_for(app, "wang")
    token = csrf_token(client.get(f"/tickets/{ticket_id}").get_data(as_text=True))
    client.post(f"/tickets/{ticket_id}/status", data={"csrf_token": token, "status": "follow_up"})
    for outcome in ("no-answer", "busy", "no-answer"):
        client.post(
            f"/tickets/{ticket_id}/contacts", data={"csrf_token": token, "outcome": outcome}
        )
    client.post(f"/tickets/{ticket_id}/status", data={"csrf_token": token, "status": "closed"})
    assert get_ticket(app, ticket_id).closed_reason == "unreachable"


def test_staff_can_take_a_desk_ticket_but_only_leaders_assign(app, users, make_ticket):
    ticket_id = make_ticket()
    staff = client_for(app, "wang")
    token = csrf_token(staff.get(f"/tickets/{ticket_id}").get_data(as_text=True))
    forbidden = staff.post(
        f"/tickets/{ticket_id}/owner", data={"csrf_token": token, "owner": str(users["wang"])}
    )
    assert forbidden.status_code == 403
    assert staff.post(f"/tickets/{ticket_id}/take", data={"csrf_token": token}).status_code == 302
    assert get_ticket(app, ticket_id).owner_id == users["wang"]
    agent = client_for(app, "qian")
    token = csrf_token(agent.get("/tickets/new").get_data(as_text=True))
    assert agent.post(f"/tickets/{ticket_id}/take", data={"csrf_token": token}).status_code == 403


def test_inspectors_and_strangers_have_no_tickets(app, users, client):
    with app.app_context():
        user = User(username="jianzha", role="inspector")
        user.set_password(PASSWORD)
        db.session().add(user)
        db.session().commit()
    assert client_for(app, "jianzha").get("/tickets/").status_code == 403
    assert client.get("/tickets/").status_code == 302  # to the login page


def test_a_phone_ticket_shows_the_recorded_complaint(app, users, make_ticket):
    from ivr.voicemail.models import Voicemail

    with app.app_context():
        message = Voicemail(
            recording_sid="RE" + "3" * 32,
            call_sid="CA" + "3" * 32,
            caller="+8613904311234",
            transcript_text="我要投诉窗口工作人员态度不好",
            transcript_status="done",
            duration=20.0,
        )
        db.session().add(message)
        db.session().commit()
        message_id = message.id
    ticket_id = make_ticket(voicemail_id=message_id)
    html = client_for(app, "banzhang").get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "我要投诉窗口工作人员态度不好" in html
    assert f"/staff/voicemail/{message_id}" in html


@pytest.mark.parametrize(
    ("caller", "saved"),
    [("sip:caller@pbx.example.cn", True), ("043188881234", True), ("0431 8888", False)],
)
def test_a_ticket_keeps_a_sip_callers_address(app, users, caller, saved):
    client = client_for(app, "zhao")
    token = csrf_token(client.get("/tickets/new").get_data(as_text=True))
    form = new_ticket_form(token, caller=caller, caller_name="", content="来电人用的是SIP话机")
    response = client.post("/tickets/new", data=form)
    assert (response.status_code == 302) is saved
    if saved:
        ticket = get_ticket(app, int(response.headers["Location"].rsplit("/", 1)[-1]))
        assert ticket.caller == caller
