"""What bench/webhooks.py and bench/load.py both start: processes on loopback, stopped after.

Each process gets a session of its own (Ctrl-C reaches the bench, which stops it)
and a log file; errors say what the log ended with.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``cmd`` in ROOT, in a session of its own, output to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM (gunicorn's graceful stop: the master waits for its workers), then SIGKILL
    for the whole process group: anything the process left behind."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def wait_healthy(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Until GET /healthz answers 200 (the master binds first; workers load the app)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}:\n{tail(log)}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s:\n{tail(log)}")


@contextlib.contextmanager
def private_redis(tmp: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A redis-server of the bench's own on a free port, keeping nothing: (URL, process)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found (scripts/test-services installs it)")
    port = free_port()
    log = tmp / "redis.log"
    proc = spawn(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(tmp)],
        log,
    )  # fmt: skip
    try:
        from redis import Redis
        from redis.exceptions import RedisError

        client = Redis(port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except RedisError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start:\n{tail(log)}") from None
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        stop(proc)


def migrate(url: str, environ: dict[str, str]) -> None:
    """Alembic to head, in a process of its own (no connection left in this one)."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from ivr.migrate import upgrade; upgrade(sys.argv[1])",
         url],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"migrating {url.split('@')[-1]} failed:\n{result.stderr[-3000:]}")
