"""Shared fixtures: the app on a real database, rolled back after each test.

The database is PostgreSQL (TEST_DATABASE_URL, default the local server's
``test`` database) in a schema made for this run, migrated with Alembic once
(tests/harness.py). Set TEST_DATABASE_URL=sqlite:///PATH to run on SQLite
instead: a new file at PATH (or in pytest's tmp dir if PATH exists), removed
afterwards. ``pytest -m sqlite`` selects the end-to-end walks and job tests that
``scripts/test`` also runs on SQLite.

Fixtures used by several folders live here (``media``, ``make_live_app``);
helpers that are not fixtures are in tests/harness.py, and no conftest imports
another. The names below imported from tests.harness stay importable from here.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import delete, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from ivr import db, params
from ivr.app import create_app
from ivr.db import make_engine
from ivr.settings import load_settings
from ivr.simulator import Phone, flask_transport
from tests.harness import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CENTRE_TZ,
    PASSWORD,
    PUBLIC_URL,
    SPEECH_DATA,
    TELEPHONY,
    Launcher,
    app_environ,
    empty_tables,
    normalise_database_url,
    scratch_database,
    suite_database_url,
)

__all__ = ["ACCOUNT_SID", "AUTH_TOKEN", "CENTRE_TZ", "PUBLIC_URL", "TELEPHONY", "app_environ"]
UUID = re.compile(params.UUID)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """The run's scratch database (PostgreSQL schema or SQLite file), migrated once."""
    with scratch_database(suite_database_url(), tmp_path_factory.mktemp("db")) as scratch:
        yield scratch.url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The engine of the per-test transactions (``connection``).

    On SQLite the driver (pysqlite) would not begin a transaction until the first
    INSERT, so ``connection``'s outer transaction did not exist: the app's first
    SAVEPOINT began one and its RELEASE committed the test's rows for good, and
    every later test saw them. Here the driver is left in autocommit and SQLAlchemy
    emits BEGIN itself (SQLAlchemy's recipe for pysqlite), so the rollback at the
    end of each test undoes everything, as on PostgreSQL.
    """
    from ivr.db import make_engine

    engine = make_engine(normalise_database_url(database_url))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _driver_autocommit(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

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
def telephony() -> str:
    """The platform the app answers and the phone plays (IVR_TELEPHONY). A call walk
    runs on both with ``@pytest.mark.parametrize("telephony", TELEPHONY)``."""
    return "twilio"


@pytest.fixture
def app(database_url: str, connection: Connection, tmp_path: Path, telephony: str):
    environ = app_environ(database_url, tmp_path, IVR_TELEPHONY=telephony)
    app = create_app({"SETTINGS": load_settings(environ), "TESTING": True})
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

    with app.app_context():
        yield db.session()


@pytest.fixture
def data(app: Flask) -> Callable[[], Any]:
    """``with data() as session:`` a session committed at the end of the block."""

    @contextmanager
    def scope() -> Iterator[Session]:
        with app.app_context():
            session = db.session()
            yield session
            session.commit()

    return scope


@pytest.fixture
def phone(client, telephony: str):
    """A caller from a Jilin City landline dialling the zh-CN hotline number."""
    return Phone(
        flask_transport(client, PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller="+8643262012345",
        telephony=telephony,
    )


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of its own, emptied before and after: 15 by default, and one
    below it for each further pytest-xdist worker (gw1: 14, ...)."""
    from redis import Redis

    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    url = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - worker}")
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


class Media:
    """What the ``media`` fixture serves: recordings by name, hits counted."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.hits: Counter[str] = Counter()
        self.failures_left: dict[str, int] = {}
        self.redirects: dict[str, str] = {}  # name: the Location answered (302)
        self.content_types: dict[str, str] = {}  # name: Content-Type, if not audio/x-wav
        self.requests: list[tuple[str, bool]] = []  # (path, sent Authorization)
        self.files: dict[str, bytes] = {
            "ko_caller_8k": (SPEECH_DATA / "ko_caller_8k.wav").read_bytes(),
            "ko_dual_8k": (SPEECH_DATA / "ko_dual_8k.wav").read_bytes(),
            "corrupt": b"RIFF\x10\x00\x00\x00WAVEthis is not audio at all" * 10,
        }

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/Recordings/{name}"

    def storage_url(self, name: str, host: str = "localhost") -> str:
        """``name`` as object storage serves it: a link of its own, no credentials asked."""
        return f"http://{host}:{self.server.server_port}/storage/{name}?X-Amz-Signature=abc"

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.files[name]).hexdigest()


@pytest.fixture
def media() -> Iterator[Media]:
    """A local stand-in for Twilio's media host: checks basic auth, counts downloads.

    ``failures_left[name] = n`` answers 500 to the next n downloads of ``name``;
    ``redirects[name] = url`` answers a redirect there (as Somleng does, to its
    object storage); ``/storage/<name>`` serves ``name`` without credentials.
    """
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    holder: dict[str, Media] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            state = holder["media"]
            path = self.path.split("?")[0]
            name = path.removesuffix(".wav")
            if UUID.fullmatch(name.rsplit("/", 1)[-1]):  # Somleng's URL: the name/its UUID
                name = name.rsplit("/", 1)[0]
            name = name.rsplit("/", 1)[-1]
            state.hits[name] += 1
            state.requests.append((path, "Authorization" in self.headers))
            storage = path.startswith("/storage/")
            if not storage and self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
            if state.failures_left.get(name, 0) > 0:
                state.failures_left[name] -= 1
                self.send_error(500)
                return
            if not storage and name in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[name])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if name not in state.files:
                self.send_error(404)
                return
            body = state.files[name]
            self.send_response(200)
            self.send_header("Content-Type", state.content_types.get(name, "audio/x-wav"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["media"] = Media(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["media"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_live_app(database_url, tmp_path, telephony: str):
    """``make_live_app(**env)``: apps that commit for real; the tables are emptied afterwards.

    For what runs across threads and processes (in-process jobs, live servers),
    where the per-test rollback of ``app`` cannot reach.
    """
    from ivr.db import Base

    apps = []

    def make(backoff_scale: float = 0.01, **extra: str):
        environ = app_environ(
            database_url,
            tmp_path,
            **{
                "IVR_MEDIA_HOSTS": "api.twilio.com,127.0.0.1",
                "IVR_MODELS_DIR": str(tmp_path / "models"),
                "IVR_TELEPHONY": telephony,
                **extra,
            },
        )
        app = create_app(
            {
                "SETTINGS": load_settings(environ),
                "TESTING": True,
                "JOB_BACKOFF_SCALE": backoff_scale,
            }
        )
        apps.append(app)
        return app

    yield make
    if apps:
        with apps[0].app_context():
            session = db.session()
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(delete(table))
            session.commit()
        for app in apps:
            with app.app_context():
                db.engine().dispose()


@pytest.fixture
def serve() -> Iterator[Callable[[Flask], str]]:
    """``serve(app)``: the app on 127.0.0.1:<free port> in a thread; its base URL."""
    servers = []
    quiet = logging.getLogger("werkzeug")
    level, quiet.level = quiet.level, logging.ERROR

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    quiet.setLevel(level)


@pytest.fixture
def every_role_site(make_live_app, serve) -> tuple[Flask, str]:
    """A live site with one user per role, ``<role>-user`` (the agent with a seat)."""
    from ivr.agents.models import Agent
    from ivr.staff.models import ROLES, User

    app = make_live_app()
    with app.app_context():
        session = db.session()
        for role in ROLES:
            user = User(username=f"{role}-user", role=role, display_name=role)
            user.set_password(PASSWORD)
            session.add(user)
            session.flush()
            if role == "agent":
                session.add(
                    Agent(user_id=user.id, centre="0431", agent_number="1001", phone="sip:1@x")
                )
        session.commit()
    return app, serve(app)


@pytest.fixture
def clean_tables(database_url: str) -> Iterator[Engine]:
    """An engine on the test schema; every table is emptied when the test ends."""
    engine = make_engine(normalise_database_url(database_url))
    yield engine
    empty_tables(engine)
    engine.dispose()


@pytest.fixture
def launcher(clean_tables, database_url: str, tmp_path: Path) -> Iterator[Launcher]:
    """Start servers and workers; all are stopped before the tables are emptied."""
    launch = Launcher(tmp_path, database_url)
    try:
        yield launch
    finally:
        launch.stop_all()


@pytest.fixture
def browser():
    """Headless Chromium (Debian's chromium and chromium-driver, from scripts/test-services),
    with its console log kept for the tests that read it."""
    import shutil
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    profile = tempfile.mkdtemp(prefix="chrome-")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1400,1800",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
