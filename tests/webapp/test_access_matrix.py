"""Who may open what: every URL rule of the app, walked as every role.

``EXPECTED`` was written from what the code allowed before the permission
table (webapp/access.py) replaced the role tuples of each area; it pins the
status each role gets on each page, so a change of permissions shows here.
Rules with an object in the URL are walked with the user's own object and
with someone else's, where the area tells them apart. POSTs carry no form
data (CSRF is off for the walk): a 400 or a 302 back to the page means the
view ran, a 403 that the role was refused. Rules outside the web UI (Twilio
webhooks, fax callbacks, health, metrics) must answer every role alike.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from ivr.agents.models import Agent, CallRecording
from ivr.calls.models import Call
from ivr.complaints import service
from ivr.inspection.sampling import active_samples, draw_month
from ivr.staff.models import ROLES, User
from ivr.voicemail.models import Voicemail
from tests.inspection.conftest import MONTH, rendered  # noqa: F401 - the demo audio fixture
from tests.webapp.conftest import log_in

WALKED = ("anonymous", *ROLES)  # the columns of EXPECTED
WEB_BLUEPRINTS = {
    "webapp",
    "auth",
    "staff",
    "selfservice",
    "inspection",
    "agents",
    "tickets",
    "flows",
    "trace",
    "stats",
    "speechnav_audio",
}
LAST = ("POST /logout",)  # walked last: it ends the session

# "METHOD rule [variant]": statuses for anonymous, admin, inspector, team_leader, staff, agent
EXPECTED = {
    "GET /agents/": "302 200 403 200 403 403",
    "POST /agents/<int:agent_id>/status own": "302 302 403 302 403 403",
    "POST /agents/<int:agent_id>/status other": "302 302 403 302 403 403",
    "GET /agents/me": "302 403 403 403 403 200",
    "POST /agents/me/status": "302 403 403 403 403 302",
    "GET /agents/static/<path:filename>": "200 200 200 200 200 200",
    "GET /flows/": "302 200 403 200 403 403",
    "GET /flows/static/<path:filename>": "200 200 200 200 200 200",
    "POST /flows/try/hangup": "302 200 403 200 403 403",
    "POST /flows/try/keys": "302 409 403 409 403 403",  # no trial call going
    "POST /flows/try/silence": "302 409 403 409 403 403",
    "POST /flows/try/start": "302 200 403 200 403 403",
    "GET /calls/": "302 200 200 200 403 200",
    "GET /calls/<sid> own": "302 200 200 200 403 200",
    "GET /calls/<sid> other": "302 200 403 200 403 403",
    "GET /calls/<sid>/recordings/<kind>/<int:recording_id> own": "302 200 200 200 403 200",
    "GET /calls/<sid>/recordings/<kind>/<int:recording_id> other": "302 200 403 200 403 403",
    "GET /inspection/": "302 302 302 302 403 302",
    "GET /inspection/<month>/agents/<int:agent_id> own": "302 200 200 200 403 200",
    "GET /inspection/<month>/agents/<int:agent_id> other": "302 200 200 200 403 403",
    "GET /inspection/<month>/agents/<int:agent_id>/entries own": "302 200 403 200 403 403",
    "GET /inspection/<month>/agents/<int:agent_id>/entries other": "302 200 403 200 403 403",
    "POST /inspection/<month>/agents/<int:agent_id>/entries own": "302 302 403 302 403 403",
    "POST /inspection/<month>/agents/<int:agent_id>/entries other": "302 302 403 302 403 403",
    "POST /inspection/<month>/draw": "302 302 302 403 403 403",
    "GET /inspection/<month>/report": "302 200 200 200 403 403",
    "GET /inspection/<month>/report.csv": "302 200 200 200 403 403",
    "GET /inspection/<month>/samples": "302 200 200 200 403 403",
    "GET /inspection/me": "302 403 403 403 403 200",
    "GET /inspection/samples/<int:sample_id> own": "302 200 200 200 403 200",
    "GET /inspection/samples/<int:sample_id> other": "302 200 403 200 403 403",
    "POST /inspection/samples/<int:sample_id> own": "302 403 302 403 403 403",
    "POST /inspection/samples/<int:sample_id> other": "302 403 403 403 403 403",
    "GET /inspection/samples/<int:sample_id>/audio own": "302 200 200 200 403 200",
    "GET /inspection/samples/<int:sample_id>/audio other": "302 200 403 200 403 403",
    "POST /inspection/samples/<int:sample_id>/redraw own": "302 302 302 403 403 403",
    "POST /inspection/samples/<int:sample_id>/redraw other": "302 302 403 403 403 403",
    "GET /": "302 302 302 302 302 302",
    "GET /login": "200 302 302 302 302 302",
    "POST /login": "200 302 302 302 302 302",
    "POST /logout": "302 302 302 302 302 302",
    "GET /selfservice/fax": "302 200 403 200 200 403",
    "GET /staff/": "302 200 200 200 200 200",
    "GET /staff/voicemail": "302 200 403 200 200 403",
    "GET /staff/voicemail/<int:message_id>": "302 200 403 200 200 403",
    "GET /staff/voicemail/<int:message_id>/audio": "302 200 403 200 200 403",
    "POST /staff/voicemail/<int:message_id>/handle": "302 302 403 302 302 403",
    "POST /staff/voicemail/<int:message_id>/reopen": "302 302 403 302 302 403",
    "GET /static/webapp/<path:filename>": "200 200 200 200 200 200",
    "GET /stats/": "302 200 403 200 403 403",
    "GET /stats/static/<path:filename>": "200 200 200 200 200 200",
    "GET /stats/stats.csv": "302 200 403 200 403 403",
    "GET /staff/speech/<path:audio>": "302 404 403 404 403 403",
    "GET /tickets/": "302 200 403 200 200 200",
    "GET /tickets/<int:ticket_id> own": "302 200 403 200 200 200",
    "GET /tickets/<int:ticket_id> other": "302 200 403 200 200 403",
    "POST /tickets/<int:ticket_id> own": "302 400 403 400 400 400",
    "POST /tickets/<int:ticket_id> other": "302 400 403 400 400 403",
    "POST /tickets/<int:ticket_id>/contacts own": "302 400 403 400 400 400",
    "POST /tickets/<int:ticket_id>/contacts other": "302 400 403 400 400 403",
    "POST /tickets/<int:ticket_id>/owner own": "302 400 403 400 403 403",
    "POST /tickets/<int:ticket_id>/owner other": "302 400 403 400 403 403",
    "POST /tickets/<int:ticket_id>/status own": "302 400 403 400 400 400",
    "POST /tickets/<int:ticket_id>/status other": "302 400 403 400 400 403",
    "POST /tickets/<int:ticket_id>/take own": "302 302 403 302 302 403",
    "POST /tickets/<int:ticket_id>/take other": "302 302 403 302 302 403",
    "GET /tickets/new": "302 200 403 200 200 200",
    "POST /tickets/new": "302 400 403 400 400 400",
    "GET /tickets/static/<path:filename>": "200 200 200 200 200 200",
}


@pytest.fixture
def world(app: Flask, data, rendered) -> dict[str, Any]:  # noqa: F811 - the imported fixture
    """A user of every role, a second inspector and agent, and an object of each kind."""
    ids: dict[str, int] = {}
    with data() as session:
        for username, role in (*((r, r) for r in ROLES), ("inspector2", "inspector")):
            user = User(username=username, role=role, display_name=username)
            user.set_password("correct horse 12333")
            session.add(user)
            session.flush()
            ids[username] = user.id
        other_agent_user = User(username="agent2", role="agent", display_name="agent2")
        other_agent_user.set_password("correct horse 12333")
        session.add(other_agent_user)
        session.flush()
        for key, user_id, number in (
            ("own_agent", ids["agent"], "1001"),
            ("other_agent", other_agent_user.id, "1002"),
        ):
            agent = Agent(user_id=user_id, centre="0431", agent_number=number, phone="sip:x@x")
            session.add(agent)
            session.flush()
            ids[key] = agent.id

        recordings = app.config["SETTINGS"].recordings_dir
        audio = rendered["pension"]
        for n in range(12):
            relative = f"agent-call/matrix/{n}.wav"
            (recordings / relative).parent.mkdir(parents=True, exist_ok=True)
            (recordings / relative).write_bytes(audio["path"].read_bytes())
            session.add(
                CallRecording(
                    call_sid=f"CA{n:032d}",
                    agent_id=ids["own_agent"] if n < 6 else ids["other_agent"],
                    caller="+8613904311234",
                    started_at=datetime(2026, 11, 10, 2, tzinfo=UTC) + timedelta(hours=n),
                    recording_sid=f"RE{n:032d}",
                    download_status="downloaded",
                    audio_path=relative,
                    duration=audio["duration"],
                    transcript_status="done",
                    transcript=audio["transcript"],
                    transcript_text=audio["transcript"]["text"],
                )
            )
        session.flush()
        zone = app.config["SETTINGS"].timezone
        sids: dict[str, str] = {}
        for inspector, agent in (("inspector", "own_agent"), ("inspector2", "other_agent")):
            draw_month(
                session,
                MONTH,
                session.get(User, ids[inspector]),
                zone,
                rubric_id="12333-monthly",
                agents=[session.get(Agent, ids[agent])],
                seed=1,
            )
            sample = active_samples(session, MONTH, inspector_id=ids[inspector])[0]
            own = "own" if inspector == "inspector" else "other"
            ids[f"{own}_sample"] = sample.id
            # The sampled recording's call: the inspector sampled it, the agent took it.
            call = Call(sid=sample.recording.call_sid, from_number="+8613904311234", locale="zh-CN")
            session.add(call)
            session.flush()
            sample.recording.call_id = call.id
            ids[f"{own}_call"], ids[f"{own}_call_recording"] = call.id, sample.recording_id
            sids[own] = call.sid

        (recordings / "vm").mkdir(parents=True, exist_ok=True)
        (recordings / "vm/matrix.wav").write_bytes(audio["path"].read_bytes())
        message = Voicemail(
            recording_sid="RE" + "9" * 32,
            call_sid="CA" + "9" * 32,
            caller="+8613904311234",
            duration=3.0,
            download_status="downloaded",
            audio_path="vm/matrix.wav",
        )
        session.add(message)
        session.flush()
        ids["message"] = message.id
        for key, owner in (("own_ticket", ids["agent"]), ("other_ticket", None)):
            ticket = service.open_ticket(
                session, channel="phone", content="咨询", owner_id=owner, voicemail_id=message.id
            )
            ids[key] = ticket.id
    return {**ids, **{f"{own}_sid": sid for own, sid in sids.items()}}


def _cases(app: Flask, world: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(key, method, url, blueprint) for every rule, method and variant."""
    cases = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0] if "." in rule.endpoint else ""
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for variant, values in _variants(app, rule, world):
                key = f"{method} {rule.rule}" + (f" {variant}" if variant else "")
                with app.test_request_context():
                    url = app.url_for(rule.endpoint, _method=method, **values)
                cases.append((key, method, url, blueprint))
    return sorted(cases, key=lambda case: (case[0] in LAST, case[0]))


def _variants(app: Flask, rule: Rule, world: dict[str, Any]):
    """The URL values to walk ``rule`` with: one set, or "own" and "other" objects."""
    names = set(rule.arguments)
    fixed: dict[str, object] = {
        "month": MONTH,
        "node": "x",
        "token": "x",
        "seconds": 1,
        "audio": "2026/11/23/" + "0" * 24 + ".wav",  # no such file: 404 where allowed
    }
    if "filename" in names:  # a blueprint's static file; "none.txt" elsewhere
        blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0])
        folder = blueprint.static_folder if blueprint else None
        fixed["filename"] = min(p.name for p in Path(folder).glob("*.*")) if folder else "none.txt"
    if "message_id" in names:
        fixed["message_id"] = world["message"]
    if "sid" in names:  # a call, and its recording when the rule names one
        return [
            (
                v,
                {
                    k: value
                    for k, value in {
                        "sid": world[f"{v}_sid"],
                        "kind": "agent-call",
                        "recording_id": world[f"{v}_call_recording"],
                    }.items()
                    if k in names
                },
            )
            for v in ("own", "other")
        ]
    for name, prefix in (("agent_id", "agent"), ("sample_id", "sample"), ("ticket_id", "ticket")):
        if name in names:
            return [(v, {**fixed, name: world[f"{v}_{prefix}"]}) for v in ("own", "other")]
    return [("", {k: v for k, v in fixed.items() if k in names})]


def _client(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    if who != "anonymous":
        assert log_in(client, who).status_code == 302
    return client


def _status(client: FlaskClient, method: str, url: str) -> str:
    with client.open(url, method=method) as response:
        return str(response.status_code)


def test_every_rule_answers_each_role_as_before(app: Flask, world):
    cases = _cases(app, world)
    clients = {who: _client(app, who) for who in WALKED}
    app.config["WTF_CSRF_ENABLED"] = False  # the view's own answer, not the missing token's
    found: dict[str, str] = {}
    others: dict[str, str] = {}
    for key, method, url, blueprint in cases:
        statuses = " ".join(_status(clients[who], method, url) for who in WALKED)
        (found if blueprint in WEB_BLUEPRINTS else others)[key] = statuses
    assert found == EXPECTED
    for key, statuses in others.items():
        assert len(set(statuses.split())) == 1, f"{key} answers roles differently: {statuses}"


# What each role is offered: the links and forms a page shows by permission.
NAV = re.compile(r'<ul class="links">(.*?)</ul>', re.S)
OFFERED = {
    "admin": {
        "nav": [
            "/agents/",
            "/flows/",
            "/inspection/",
            "/selfservice/fax",
            "/staff/voicemail",
            "/tickets/",
        ],
        "home voicemail link": True,
        "samples draw form": True,
        "samples inspector choice": True,
        "samples entries link": True,
        "agent month entries link": True,
        "sample grade button": False,
        "sample redraw form": True,
        "ticket assign form": True,
        "desk ticket take form": False,
        "ticket voicemail link": True,
    },
    "inspector": {
        "nav": ["/inspection/"],
        "home voicemail link": False,
        "samples draw form": True,
        "samples inspector choice": False,
        "samples entries link": False,
        "agent month entries link": False,
        "sample grade button": True,
        "sample redraw form": True,
    },
    "team_leader": {
        "nav": [
            "/agents/",
            "/flows/",
            "/inspection/",
            "/selfservice/fax",
            "/staff/voicemail",
            "/tickets/",
        ],
        "home voicemail link": True,
        "samples draw form": False,
        "samples inspector choice": False,
        "samples entries link": True,
        "agent month entries link": True,
        "sample grade button": False,
        "sample redraw form": False,
        "ticket assign form": True,
        "desk ticket take form": False,
        "ticket voicemail link": True,
    },
    "staff": {
        "nav": ["/selfservice/fax", "/staff/voicemail", "/tickets/"],
        "home voicemail link": True,
        "ticket assign form": False,
        "desk ticket take form": True,
        "ticket voicemail link": True,
    },
    "agent": {
        "nav": ["/agents/me", "/inspection/", "/tickets/"],
        "home voicemail link": False,
        "agent month entries link": False,
        "sample grade button": False,
        "sample redraw form": False,
        "ticket assign form": False,
        "ticket voicemail link": False,
    },
}


def _page(client: FlaskClient, url: str) -> str | None:
    response = client.get(url)
    return response.get_data(as_text=True) if response.status_code == 200 else None


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_offered_the_same_links_and_forms(app: Flask, world, role):
    client = _client(app, role)
    home = _page(client, "/staff/")
    samples = _page(client, f"/inspection/{MONTH}/samples")
    agent_month = _page(client, f"/inspection/{MONTH}/agents/{world['own_agent']}")
    sample = _page(client, f"/inspection/samples/{world['own_sample']}")
    ticket = _page(client, f"/tickets/{world['own_ticket']}")
    desk_ticket = _page(client, f"/tickets/{world['other_ticket']}")
    entries = f"/inspection/{MONTH}/agents/{world['own_agent']}/entries"
    offered: dict[str, object] = {
        "nav": sorted(re.findall(r'href="([^"]+)"', NAV.search(home).group(1))),
        "home voicemail link": 'href="/staff/voicemail">留言 Voicemail inbox' in home,
    }
    if samples is not None:
        offered["samples draw form"] = f'action="/inspection/{MONTH}/draw"' in samples
        offered["samples inspector choice"] = 'name="inspector"' in samples
        offered["samples entries link"] = entries in samples
    if agent_month is not None:
        offered["agent month entries link"] = entries in agent_month
    if sample is not None:
        offered["sample grade button"] = "保存评分 Save grade" in sample
        offered["sample redraw form"] = (
            f"/inspection/samples/{world['own_sample']}/redraw" in sample
        )
    if ticket is not None:
        offered["ticket assign form"] = f"/tickets/{world['own_ticket']}/owner" in ticket
        offered["ticket voicemail link"] = f"/staff/voicemail/{world['message']}" in ticket
    if desk_ticket is not None:
        offered["desk ticket take form"] = f"/tickets/{world['other_ticket']}/take" in desk_ticket
    assert offered == OFFERED[role]
