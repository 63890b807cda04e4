"""Agents' tests run once per presence backend: the database and Redis.

``app`` is the shared fixture's app (rolled back after each test), built with
REDIS_URL for the Redis run. ``agents.add(...)`` creates agent users in short
app contexts of their own (see tests/webapp/conftest.py for why).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import sessionmaker

from ivr import db
from ivr.agents.models import Agent
from ivr.agents.presence import AgentState, presence
from ivr.app import create_app
from ivr.settings import load_settings
from ivr.simulator import Phone, TwilioQueues, flask_transport
from ivr.staff.models import User
from tests.harness import AUTH_TOKEN, PUBLIC_URL, app_environ

JILIN_CALLER = "+8643262012345"  # a Jilin City (0432) landline
MEDIA = "https://recordings.example.invalid/2010-04-01/Accounts/AC0/Recordings"  # not fetched
BASE_TIME = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in the centre
HOLD_MUSIC_SECONDS = 8.0  # flows/audio/hold_music.wav


@pytest.fixture(params=["database", "redis"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(request, backend, telephony, database_url, connection, tmp_path) -> Flask:
    extra = {"REDIS_URL": request.getfixturevalue("redis_url")} if backend == "redis" else {}
    environ = app_environ(database_url, tmp_path, IVR_TELEPHONY=telephony, **extra)
    app = create_app({"SETTINGS": load_settings(environ), "TESTING": True})
    app.extensions["ivr.db"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return app


class Agents:
    """Creates agents and reads their presence, each in an app context of its own."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.numbers = itertools.count(1001)

    def add(
        self,
        username: str,
        centre: str = "0432",
        status: str = "available",
        idle_minutes: float = 0,
        phone: str | None = None,
    ) -> Agent:
        number = str(next(self.numbers))
        with self.app.app_context():
            session = db.session()
            user = User(username=username, role="agent", display_name=username)
            user.set_password("correct horse 12333")
            agent = Agent(
                user=user,
                centre=centre,
                agent_number=number,
                phone=phone or f"+86431{number}0000",
            )
            session.add(agent)
            session.commit()
            since = BASE_TIME - timedelta(minutes=idle_minutes)
            presence().set_status(agent, status, now=since)
            session.commit()
            return agent

    def state(self, agent: Agent) -> AgentState:
        with self.app.app_context():
            return presence().states([agent])[agent.id]

    def status(self, agent: Agent) -> str:
        return self.state(agent).status

    def set(self, agent: Agent, status: str, **options) -> None:
        with self.app.app_context():
            presence().set_status(agent, status, **options)
            db.session().commit()

    def release(self, call_sid: str) -> None:
        with self.app.app_context():
            presence().release(call_sid)
            db.session().commit()

    def waiting(self, centre: str = "0432") -> int:
        with self.app.app_context():
            return presence().queues([centre])[centre].waiting


@pytest.fixture
def agents(app) -> Agents:
    return Agents(app)


@pytest.fixture
def queues() -> TwilioQueues:
    return TwilioQueues()


@pytest.fixture
def make_phone(client, queues, telephony, time_machine) -> Callable[..., Phone]:
    """A patient caller (20 queue rounds, 15 s each) whose agents' calls are recorded.

    On Somleng, held by Redirects: each waits 1 s and the hold music lasts
    HOLD_MUSIC_SECONDS, time the frozen clock moves on by (no real sleeps).
    """
    pace: dict[str, object] = {}
    if telephony == "somleng":
        time_machine.move_to(datetime.now(UTC), tick=False)
        pace = {"play_seconds": HOLD_MUSIC_SECONDS, "sleep": time_machine.shift}

    def make(caller: str = JILIN_CALLER, **kwargs) -> Phone:
        options = {"queue_rounds": 20, "dial_recordings_url": MEDIA, **pace, **kwargs}
        return Phone(
            flask_transport(client, PUBLIC_URL),
            PUBLIC_URL,
            AUTH_TOKEN,
            caller=caller,
            queues=queues,
            telephony=telephony,
            **options,
        )

    return make


@pytest.fixture(autouse=True)
def office_hours(at):
    at(2026, 11, 23, 10, 0)
