"""Traffic on the drawn flow, counted from a small hand-made set of calls; the page's rules."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest

from ivr import db
from ivr.analytics.traffic import Period, traffic
from ivr.calls.models import Call, CallEvent
from ivr.staff.models import ROLES, User
from tests.harness import CENTRE_TZ, PASSWORD, csrf_token, log_in

DAY = date(2026, 11, 23)
SVG = "{http://www.w3.org/2000/svg}"


def enter(node):
    return ("enter", node, "", {})


def option(node, digits, target=""):
    return ("option", node, digits, {"target": target} if target else {})


def add_call(session, sid, steps, *, at, caller="+8643188881234", locale="zh-CN", trial=False):
    call = Call(
        sid=sid,
        from_number=caller,
        to_number="+8643112333",
        locale=locale,
        status="completed",
        started_at=at,
        trial=trial,
    )
    session.add(call)
    session.flush()
    for index, (kind, node, digits, detail) in enumerate(steps):
        session.add(
            CallEvent(
                call_id=call.id,
                key=f"{sid}:{index}",
                kind=kind,
                node=node,
                digits=digits,
                detail=detail,
                created_at=at + timedelta(seconds=index),
            )
        )
    session.add(CallEvent(call_id=call.id, key=f"{sid}:s", kind="status", created_at=at))


@pytest.fixture
def calls(app):
    """Four calls on 23 November, a trial call and one the day before (centre time)."""
    morning = datetime(2026, 11, 23, 0, 30, tzinfo=CENTRE_TZ)  # the day's first half hour
    with app.app_context():
        session = db.session()
        # A: hours open, main menu, info menu, a topic; hangs up listening to it.
        add_call(
            session,
            "CA" + "a" * 32,
            [
                enter("welcome"),
                enter("hours_check"),
                ("hours", "hours_check", "", {"open": True}),
                enter("main_menu"),
                option("main_menu", "1", "info_menu"),
                enter("info_menu"),
                option("info_menu", "1", "topic_pension"),
                enter("topic_pension"),
            ],
            at=morning,
        )
        # B: a wrong key, then silence at the info menu until the flow hangs up.
        add_call(
            session,
            "CA" + "b" * 32,
            [
                enter("main_menu"),
                ("invalid", "main_menu", "7", {}),
                enter("main_menu"),
                option("main_menu", "1", "info_menu"),
                enter("info_menu"),
                ("silence", "info_menu", "", {"tries": 1}),
                enter("info_menu"),
                ("silence-hangup", "info_menu", "", {}),
            ],
            at=morning + timedelta(hours=3),
        )
        # C: option 0, then a menu the flow no longer has, where the caller hangs up.
        add_call(
            session,
            "CA" + "c" * 32,
            [
                enter("main_menu"),
                option("main_menu", "0", "agent"),
                enter("old_menu"),
                option("old_menu", "3", "gone_too"),
                enter("old_menu"),
            ],
            at=morning + timedelta(hours=5),
        )
        # F: an English-speaking caller from Jilin City, back with * from the info menu.
        add_call(
            session,
            "CA" + "f" * 32,
            [
                enter("main_menu"),
                option("main_menu", "1", "info_menu"),
                enter("info_menu"),
                ("back", "info_menu", "*", {}),
                enter("main_menu"),
            ],
            at=datetime(2026, 11, 23, 23, 50, tzinfo=CENTRE_TZ),  # still the 23rd there
            caller="+8643262012345",
            locale="en-US",
        )
        # A trial call and a call of the day before: in no figure.
        add_call(
            session,
            "CA" + "d" * 32,
            [enter("main_menu"), option("main_menu", "5", "complaints")],
            at=morning,
            trial=True,
        )
        add_call(
            session,
            "CA" + "e" * 32,
            [enter("main_menu"), option("main_menu", "5", "complaints")],
            at=morning - timedelta(hours=1),
        )
        session.commit()
    return app


def figures(app, **filters):
    with app.app_context():
        return traffic(
            db.session(),
            Period(DAY, DAY),
            CENTRE_TZ,
            app.extensions["ivr.flows"].directory,
            **filters,
        )


def test_traffic_counts_the_periods_calls_and_leaves_trial_calls_out(calls):
    seen = figures(calls)
    assert seen.calls == 4
    assert seen.entered["main_menu"] == 4  # B entered twice: one call
    assert seen.entered["info_menu"] == 3
    main = {o.digits: o for o in seen.options_at("main_menu")}
    assert set(main) == {"1", "0"}  # no 5: the trial call and the day before are out
    assert (main["1"].count, main["1"].target, main["1"].share) == (3, "info_menu", 0.75)
    assert (main["0"].count, main["0"].share) == (1, 0.25)
    assert seen.invalid == {"main_menu": 1}
    assert seen.silence == {"info_menu": 1}
    assert seen.silence_hangups == {"info_menu": 1}
    assert seen.back == {"info_menu": 1}
    assert seen.hours == {("hours_check", True): 1}
    # where callers gave up: A in a topic, C at the old menu, F back at the main menu;
    # B was hung up on by the flow, which is not giving up
    assert seen.hangups == {"topic_pension": 1, "old_menu": 1, "main_menu": 1}
    assert seen.entered["old_menu"] == 1


def end(status="completed"):
    return ("end", "", "", {"status": status})  # the status callback's: no node


@pytest.mark.sqlite
def test_calls_served_at_the_agent_node_or_by_voicemail_did_not_give_up(app):
    """Where callers gave up: not where an agent answered, a message was left or the
    flow said goodbye; a caller who hung up in the queue did give up at the agent node."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=CENTRE_TZ)
    agent = [enter("main_menu"), option("main_menu", "0", "agent"), enter("agent")]
    answered = ("connect-result", "agent", "", {"result": "completed", "agent": 7})
    with app.app_context():
        session = db.session()
        for index, steps in enumerate(
            [
                # an agent answered at once, talked, and the caller hung up afterwards
                [
                    *agent,
                    ("agent-dial", "agent", "", {"agent": 7}),
                    answered,
                    ("agent-answered", "agent", "", {"agent": 7}),
                    end(),
                ],
                # waited in Twilio's queue, taken by an agent there (bridged)
                [
                    *agent,
                    ("enqueue", "agent", "", {"position": 1}),
                    ("connect-result", "agent", "", {"result": "bridged"}),
                    ("queue-left", "agent", "", {"outcome": "answered", "waited": 30}),
                    end(),
                ],
                # nobody answered: overflow, option 1, a message left (hung up to end it)
                [
                    *agent,
                    ("agent-dial", "agent", "", {"agent": 7}),
                    ("connect-result", "agent", "", {"result": "no-answer"}),
                    ("agent-missed", "agent", "", {"result": "no-answer"}),
                    enter("agent_overflow"),
                    option("agent_overflow", "1", "voicemail"),
                    enter("voicemail"),
                    ("voicemail-recorded", "voicemail", "", {"duration": 9}),
                    end(),
                ],
                # a message kept, then goodbye from the flow
                [
                    enter("main_menu"),
                    option("main_menu", "2", "voicemail"),
                    enter("voicemail"),
                    ("voicemail-recorded", "voicemail", "", {"duration": 9}),
                    ("voicemail-kept", "voicemail", "1", {}),
                    enter("continue"),
                    option("continue", "2", "goodbye"),
                    enter("goodbye"),
                    ("hangup", "goodbye", "", {}),
                    end(),
                ],
                # gave up in Twilio's queue
                [
                    *agent,
                    ("enqueue", "agent", "", {"position": 2}),
                    ("queue-wait", "agent", "", {"position": 1, "waited": 15}),
                    ("connect-result", "agent", "", {"result": "hangup"}),
                    ("queue-left", "agent", "", {"outcome": "hung-up", "waited": 40}),
                    end(),
                ],
                # gave up in our own line (Somleng): the status callback takes it out
                [
                    *agent,
                    ("enqueue", "agent", "", {"position": 1}),
                    ("queue-wait", "agent", "", {"position": 1, "waited": 8}),
                    ("queue-left", "", "", {"outcome": "hung-up", "waited": 20}),
                    end(),
                ],
            ]
        ):
            add_call(session, f"CA{index:032x}", steps, at=at + timedelta(minutes=index))
        session.commit()
    seen = figures(app)
    assert seen.calls == 6 and seen.entered["agent"] == 5
    assert seen.hangups == {"agent": 2}


def test_traffic_of_one_centre_and_one_locale(calls):
    jilin = figures(calls, centre="0432")
    assert jilin.calls == 1 and jilin.entered == {"main_menu": 1, "info_menu": 1}
    changchun = figures(calls, centre="0431")
    assert changchun.calls == 3
    assert figures(calls, centre="provincial").calls == 0
    english = figures(calls, locale="en-US")
    assert english.calls == 1 and english.back == {"info_menu": 1}


@pytest.fixture
def users(app):
    with app.app_context():
        session = db.session()
        for role in ROLES:
            user = User(username=f"{role}-user", role=role, display_name=role)
            user.set_password(PASSWORD)
            session.add(user)
        session.commit()


def logged_in(app, role):
    client = app.test_client()
    assert log_in(client, f"{role}-user").status_code == 302
    return client


def test_the_page_draws_the_traffic_and_lists_nodes_no_longer_in_the_flow(calls, users):
    page = logged_in(calls, "team_leader").get("/flows/?from=2026-11-23&to=2026-11-23")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    root = ET.fromstring(html[start:end])
    edges = {
        (g.get("data-from"), g.get("data-to")): g
        for g in root.iter(f"{SVG}g")
        if g.get("data-from")
    }
    to_info = edges[("main_menu", "info_menu")]
    assert to_info.get("data-count") == "3"
    assert "1 · 3 (75%)" in "".join(t.text or "" for t in to_info.iter(f"{SVG}text"))
    widths = {
        key: float(next(g.iter(f"{SVG}path")).get("stroke-width"))
        for key, g in edges.items()
        if key in {("main_menu", "info_menu"), ("main_menu", "agent"), ("main_menu", "fax")}
    }
    assert widths[("main_menu", "info_menu")] > widths[("main_menu", "agent")] > 1
    assert widths[("main_menu", "fax")] == 1
    assert edges[("hours_check", "main_menu")].get("data-count") == "1"
    gone = html[html.index('id="gone-nodes"') :]
    assert "old_menu" in gone and "gone_too" not in gone
    assert "<strong>4</strong> 通来电 calls" in html


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_and_team_leaders_see_the_flow(app, users, role):
    client = logged_in(app, role)
    allowed = role in ("admin", "team_leader")
    assert client.get("/flows/").status_code == (200 if allowed else 403)
    home = client.get("/staff/").get_data(as_text=True)
    assert ('href="/flows/"' in home) is allowed
    token = csrf_token(home)
    answer = client.post("/flows/try/silence", data={"csrf_token": token})
    assert answer.status_code == (409 if allowed else 403)  # allowed: no trial call yet


def test_anonymous_visitors_are_sent_to_log_in(app):
    response = app.test_client().get("/flows/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_drawing_is_made_once_per_flows_version_and_locale(app, users, monkeypatch, tmp_path):
    client = logged_in(app, "admin")
    assert "<svg" in client.get("/flows/").get_data(as_text=True)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot from here on
    assert "<svg" in client.get("/flows/").get_data(as_text=True)  # the cached drawing
    english = client.get("/flows/?locale=en-US")  # never drawn: dot would be needed
    assert english.status_code == 200
    html = english.get_data(as_text=True)
    assert "<svg" not in html
    assert 'id="dot-missing"' in html and "apt-get install graphviz" in html
