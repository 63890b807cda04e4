"""Fixtures for the staff web UI: users, voicemails, a logged-in client.

Data is written in short app contexts of its own (not the ``db_session``
fixture's long one): requests made while an app context is pushed share its
``g``, and so Flask-Login's cached user and the database session, across
clients.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import webapp
from ivr.staff.cli import cli as users_cli
from ivr.staff.models import User
from ivr.voicemail.models import Voicemail
from tests.harness import CSRF, PASSWORD, csrf_token, log_in

__all__ = ["CSRF", "PASSWORD", "csrf_token", "log_in"]  # imported from here by tests
_sids = itertools.count(1)


@pytest.fixture
def app(app: Flask) -> Flask:
    """The app with the web UI and ``ivr users``, wired here until create_app does it."""
    if "auth" not in app.blueprints:
        webapp.init_app(app)
    if "users" not in app.cli.commands:
        app.cli.add_command(users_cli)
    app.config["WTF_CSRF_ENABLED"] = True  # TESTING does not turn CSRF checks off
    return app


@pytest.fixture
def make_user(data) -> Callable[..., int]:
    def make(username: str, role: str = "staff", *, active: bool = True, name: str = "") -> int:
        with data() as session:
            user = User(username=username, role=role, active=active, display_name=name)
            user.set_password(PASSWORD)
            session.add(user)
            session.flush()
            return user.id

    return make


@pytest.fixture
def make_voicemail(data) -> Callable[..., int]:
    def make(**fields: Any) -> int:
        values: dict[str, Any] = {
            "recording_sid": f"RE{next(_sids):032d}",
            "call_sid": "CA" + "1" * 32,
            "caller": "+8613904311234",
            "created_at": datetime(2026, 11, 23, 2, 30, tzinfo=UTC),  # 10:30 in Changchun
            "duration": 42.0,
            **fields,
        }
        with data() as session:
            message = Voicemail(**values)
            session.add(message)
            session.flush()
            return message.id

    return make


@pytest.fixture
def staff_client(app: Flask, make_user) -> FlaskClient:
    make_user("wang", "staff", name="王芳")
    client = app.test_client()
    assert log_in(client, "wang").status_code == 302
    return client
