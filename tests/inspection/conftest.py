"""Fixtures for quality inspection: people, agents, recorded calls of a month, logged-in clients.

Rows are written in short app contexts of their own (``data()``), as in
tests/webapp: requests made while an app context is pushed would share its
session and Flask-Login's cached user across clients.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from ivr.agents.models import Agent, CallRecording
from ivr.inspection.demo_audio import render
from ivr.inspection.demo_script import SCRIPTS
from ivr.inspection.rubric import Grading, load
from ivr.settings import ROOT
from ivr.staff.models import User
from tests.harness import PASSWORD, csrf_token, log_in

MONTH = "2026-11"
# 2026-11-10 10:00 in Changchun (UTC+8)
IN_MONTH = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
_sids = itertools.count(1)

__all__ = ["MONTH", "PASSWORD", "csrf_token", "log_in"]


@functools.cache
def _password_hash() -> str:
    """PASSWORD hashed once: hashing it for every user of every test takes seconds."""
    return generate_password_hash(PASSWORD)


@pytest.fixture(scope="session")
def grading() -> Grading:
    return load(ROOT / "flows")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, Any]:
    """Demo scripts rendered once (tone bursts: fast, no espeak needed): wav path + transcript."""
    folder = tmp_path_factory.mktemp("audio")
    out = {}
    for script_id in ("forbidden", "pension", "no_greeting", "medical_hold"):
        path = folder / f"{script_id}.wav"
        result = render(SCRIPTS[script_id], path, speech=False)
        out[script_id] = {
            "path": path,
            "transcript": result.transcript,
            "duration": result.duration,
        }
    return out


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = True  # TESTING does not turn CSRF checks off
    return app


@pytest.fixture
def make_user(data) -> Callable[..., int]:
    def make(username: str, role: str, name: str = "") -> int:
        with data() as session:
            user = User(username=username, role=role, display_name=name or username)
            user.password_hash = _password_hash()
            session.add(user)
            session.flush()
            return user.id

    return make


@pytest.fixture
def make_agent(data, make_user) -> Callable[..., int]:
    def make(number: str, centre: str = "0431", name: str = "") -> int:
        user_id = make_user(f"agent{number}", "agent", name or f"咨询员{number}")
        with data() as session:
            agent = Agent(
                user_id=user_id, centre=centre, agent_number=number, phone=f"sip:{number}@x.invalid"
            )
            session.add(agent)
            session.flush()
            return agent.id

    return make


@pytest.fixture
def make_call(app, data, rendered) -> Callable[..., int]:
    """A downloaded, transcribed two-channel call of ``agent_id`` (default: in MONTH)."""

    def make(
        agent_id: int,
        *,
        script: str = "pension",
        duration: float | None = None,
        started_at: datetime | None = None,
        **fields: Any,
    ) -> int:
        number = next(_sids)
        sid = "RE" + hashlib.sha256(f"test:{number}".encode()).hexdigest()[:32]
        info = rendered[script]
        relative = f"agent-call/test/{sid}.wav"
        target = app.config["SETTINGS"].recordings_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(Path(info["path"]).read_bytes())
        values: dict[str, Any] = {
            "call_sid": "CA" + sid[2:],
            "agent_id": agent_id,
            "caller": "+8613904311234",
            "started_at": started_at or IN_MONTH + timedelta(hours=number % 48),
            "recording_sid": sid,
            "download_status": "downloaded",
            "audio_path": relative,
            "duration": info["duration"] if duration is None else duration,
            "transcript_status": "done",
            "transcript": info["transcript"],
            "transcript_text": info["transcript"]["text"],
            **fields,
        }
        with data() as session:
            call = CallRecording(**values)
            session.add(call)
            session.flush()
            return call.id

    return make


@pytest.fixture
def login(app) -> Callable[[str], FlaskClient]:
    def client_for(username: str) -> FlaskClient:
        client = app.test_client()
        response = log_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return client_for
