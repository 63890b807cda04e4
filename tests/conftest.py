"""Shared fixtures: the app on a real database, rolled back after each test.

The database is PostgreSQL (TEST_DATABASE_URL, default the local server's
``test`` database) in a schema made for this run, migrated with Alembic once.
Set TEST_DATABASE_URL=sqlite:///... to run on SQLite instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import sessionmaker

from ivr.app import create_app
from ivr.migrate import upgrade
from ivr.settings import ROOT, load_settings
from ivr.simulator import Phone, flask_transport

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://ivr.example.test"  # differs from the test client's http://localhost
CENTRE_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/test"


def app_environ(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "IVR_ENV": "test",
        "IVR_ENV_FILE": str(tmp_path / "none.env"),
        "DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "SECRET_KEY": "test-secret",
        "IVR_PUBLIC_URL": PUBLIC_URL,
        "IVR_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "IVR_FLOWS_DIR": str(ROOT / "flows"),
        **extra,
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_DB)
    if url.startswith("sqlite"):
        path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    schema = f"ivr_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(load_settings(_env(url)).database_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    upgrade(load_settings(_env(scoped)).database_url)
    try:
        yield scoped
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _env(url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": "x",
        "SECRET_KEY": "x",
        "IVR_ENV_FILE": "/nonexistent",
    }


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    from ivr.db import make_engine

    engine = make_engine(load_settings(_env(database_url)).database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One outer transaction per test, rolled back at the end."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def app(database_url: str, connection: Connection, tmp_path: Path):
    app = create_app(
        {"SETTINGS": load_settings(app_environ(database_url, tmp_path)), "TESTING": True}
    )
    app.extensions["ivr.db"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    from ivr import db

    with app.app_context():
        yield db.session()


@pytest.fixture
def phone(client):
    """A caller from a Jilin City landline dialling the zh-CN hotline number."""
    return Phone(
        flask_transport(client, PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN, caller="+8643262012345"
    )


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of its own (15 by default), emptied before and after."""
    from redis import Redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    connection = Redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture
def at():
    """``at(2026, 11, 23, 10)``: freeze the clock at that centre-local time."""
    travellers = []

    def travel(*parts: int) -> None:
        moment = datetime(*parts, tzinfo=CENTRE_TZ)
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield travel
    for traveller in reversed(travellers):
        traveller.stop()
