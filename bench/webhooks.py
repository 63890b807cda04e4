"""Benchmark the Twilio webhooks under gunicorn against a bare Flask app.

Usage: .venv/bin/python bench/webhooks.py [--concurrency 50] [--duration 20] [--workers 2]
           [--database-url postgresql://postgres@127.0.0.1:5432/test]

Starts ``ivr.app:create_app()`` with gunicorn on a free 127.0.0.1 port, with its own
environment (random TWILIO_AUTH_TOKEN and SECRET_KEY, IVR_PUBLIC_URL = that port, no
instance/ivr.env) and its own database: a temporary SQLite file, or with --database-url a
scratch schema in that PostgreSQL database (dropped afterwards), migrated with Alembic.
As deployed, a private redis-server and ``ivr worker`` run beside it, so that menu steps
go through the call journal (ivr/calls/journal.py); after the load the bench waits for
the worker to have written every step. ``--no-redis`` measures without them.

``--concurrency`` simulated callers then place calls back to back for ``--duration``
seconds after a ``--warmup``: each call is a signed POST /voice/incoming, then the
Gather's action URL with the keys 1 (information menu), 1 (pension topic) and * (back),
signed exactly as Twilio signs them (twilio.request_validator.RequestValidator). Every
answer must be 200 TwiML with a Gather; anything else is an error.

The same load (same callers, same loop, same number of POSTs) then goes to
``bench.bare_app:app`` (constant TwiML, no validation, no database) under the same
gunicorn settings. Prints requests, errors, requests/s, p50/p99 latency and server CPU
per request for both, the throughput ratio (target >= 0.70) and our p99 (target < 50 ms).
Exit status: 0 when there were no errors and both targets were met, 1 otherwise, 2 when
a server or the database could not be started.

``--pause`` makes each caller wait between webhooks as a real caller listens to the
prompts: then req/s is the offered load rather than a capacity, and p99 is the latency
at that load instead of at saturation.

Only loopback traffic; both servers are stopped on exit, error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import math
import multiprocessing as mp
import os
import random
import secrets
import signal
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from tests.harness import (  # noqa: E402
    BIN,
    Proc,
    RedisServer,
    free_port,
    gunicorn_command,
    private_redis,
    scratch_database,
    spawn,
    wait_http,
)
from tests.harness import Server as ServerProc  # noqa: E402

RATIO_TARGET = 0.70  # deployed: PostgreSQL, the call journal on Redis
EMBEDDED_RATIO_TARGET = 0.20  # --no-redis on SQLite: what `scripts/serve` runs
P99_TARGET_MS = 50.0
OTHER_LOAD_WARNING = 0.25  # cores used by unrelated processes during a run
MIN_ATTRIBUTION_SECONDS = 5.0  # /proc/stat ticks vs per-process times: shorter is noise

OURS_APP = "ivr.app:create_app()"
BARE_APP = "bench.bare_app:app"

# Worker class: gthread, as the Procfile's web process runs (ivr/gunicorn.py, which both
# servers load here so that keep-alive, timeouts, the access log and Prometheus'
# multiprocess metrics are the deployed ones; only bind, workers, worker class and threads
# are set on the command line). Why: every webhook waits on the database (a SELECT,
# savepoints, INSERTs and a COMMIT that waits for the WAL flush: several round trips per
# request, over the network with PostgreSQL). A sync worker leaves its CPU idle during
# that wait and serves one request at a time, so 2 sync workers answer at most 2
# webhooks at once and one slow client or stalled query holds a whole worker; sync
# workers also close the connection after every response, so the proxy in front
# reconnects for each webhook. gthread overlaps the waits of a few requests per process
# (the GIL is released while waiting) and keeps connections alive. Threads per worker
# (4, ivr/gunicorn.py's default) stay below the engine's pool_size (5, ivr/db.py), so no
# thread queues for a database connection; more threads only add GIL contention.
# --worker-class sync measures the alternative.
GUNICORN_CONFIG = "python:ivr.gunicorn"
WORKER_CLASS = "gthread"
THREADS = 4

PRESSES = ("1", "1", "*")  # main menu -> information menu -> pension topic -> back (*)
ACCOUNT_SID = "AC" + "0" * 32
CALLER = "+8643188881234"  # a Jilin landline
CALLED = "+8643112333"  # the zh-CN hotline number
FAILED_WRITE = "could not record call events"  # ivr/voice/views.py logs this, answers anyway

# Variables the server reads that the bench sets itself; the developer's are dropped.
OWN_PREFIXES = ("IVR_", "TWILIO_", "VOSK_MODEL_")
OWN_NAMES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PROMETHEUS_MULTIPROC_DIR")


# --- servers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cpu:
    """CPU seconds: the whole machine, one gunicorn (master + workers), PostgreSQL, and
    the call journal's Redis and worker (with its work horses)."""

    machine: float
    server: float
    postgres: float
    journal: float


@dataclass(frozen=True)
class CpuSnapshot:
    machine: float  # busy CPU seconds since boot, all CPUs
    server: dict[int, float]  # pid -> CPU seconds so far
    postgres: dict[int, float]
    journal: dict[int, float]

    def __sub__(self, before: CpuSnapshot) -> Cpu:
        """Per process, so one that started or exited meanwhile cannot go negative."""

        def used(after: dict[int, float], earlier: dict[int, float]) -> float:
            return sum(max(0.0, t - earlier.get(pid, 0.0)) for pid, t in after.items())

        return Cpu(
            self.machine - before.machine,
            used(self.server, before.server),
            used(self.postgres, before.postgres),
            used(self.journal, before.journal),
        )


def cpu_now(server_pid: int, journal_pids: tuple[int, ...] = ()) -> CpuSnapshot | None:
    """From /proc (Linux); None elsewhere."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        # cpu  user nice system idle iowait irq softirq steal (guest is inside user)
        times = [int(v) for v in Path("/proc/stat").read_text().split()[1:9]]
        machine = (sum(times) - times[3] - times[4]) / tick
        server: dict[int, float] = {}
        postgres: dict[int, float] = {}
        journal: dict[int, float] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            pid = int(entry.name)
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()  # from field 3 (state) on
            # utime, stime, and cutime, cstime: children it reaped (RQ's work horses,
            # PostgreSQL's backends of closed connections), which /proc no longer lists
            used = sum(int(v) for v in fields[11:15]) / tick
            if pid == server_pid or int(fields[1]) == server_pid:
                server[pid] = used
            elif pid in journal_pids or int(fields[1]) in journal_pids:
                journal[pid] = used
            elif comm.startswith("postgres"):
                postgres[pid] = used
        return CpuSnapshot(machine, server, postgres, journal)
    except (OSError, ValueError):
        return None


@dataclass
class Server:
    name: str
    base_url: str
    proc: ServerProc
    journal_pids: tuple[int, ...] = ()  # Redis and `ivr worker`, when they run

    def cpu(self) -> CpuSnapshot | None:
        return cpu_now(self.proc.pid, self.journal_pids)

    def log_count(self, text: str) -> int:
        return self.proc.output().count(text)


@contextlib.contextmanager
def gunicorn(
    name: str, app: str, environ: dict[str, str], args: argparse.Namespace, tmp: Path
) -> Iterator[Server]:
    port = free_port()
    threads = 1 if args.worker_class == "sync" else args.threads  # sync + threads = gthread
    options = ["--worker-class", args.worker_class, "--threads", str(threads),
               "--chdir", str(ROOT), "--log-level", "warning"]  # fmt: skip
    cmd = gunicorn_command(app, port, workers=args.workers, config=GUNICORN_CONFIG, args=options)
    metrics_dir = tmp / f"{name}-metrics"  # else ivr/gunicorn.py makes one and leaves it
    metrics_dir.mkdir()
    base_url = f"http://127.0.0.1:{port}"
    env = {**environ, "IVR_PUBLIC_URL": base_url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    # SIGTERM: gunicorn's graceful stop (the master waits for its workers), then SIGKILL.
    proc = spawn(name, cmd, tmp / f"{name}-gunicorn.log", env, cls=ServerProc, port=port,
                 stop_timeout=15)  # fmt: skip
    try:
        wait_http(proc)  # 200: the database (and Redis, when configured) reachable
        yield Server(name, base_url, proc)
    finally:
        proc.stop()


def server_environ(tmp: Path, auth_token: str) -> dict[str, str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES) and k not in OWN_NAMES
    }
    environ.update(
        IVR_ENV="production",
        IVR_ENV_FILE=str(tmp / "absent.env"),  # never created: instance/ivr.env stays out
        TWILIO_AUTH_TOKEN=auth_token,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        SECRET_KEY=secrets.token_hex(32),
        IVR_RECORDINGS_DIR=str(tmp / "recordings"),
        IVR_FLOWS_DIR=str(ROOT / "flows"),
        PYTHONUNBUFFERED="1",
    )
    return environ


# --- database -----------------------------------------------------------------------------


@contextlib.contextmanager
def database(url: str | None, tmp: Path) -> Iterator[tuple[str, str]]:
    """(database URL for the server, description): a new SQLite file, or with ``url`` a
    scratch schema in that PostgreSQL database; migrated, and removed afterwards."""
    with scratch_database(url, tmp, prefix="ivr_bench") as scratch:
        yield scratch.url, scratch.description


def recorded(url: str) -> tuple[int, int] | None:
    """(calls, call events) in the database after the run."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            calls = conn.scalar(text("SELECT count(*) FROM calls"))
            events = conn.scalar(text("SELECT count(*) FROM call_events"))
        return int(calls), int(events)
    except Exception:  # a report line, not a reason to fail the bench
        return None
    finally:
        engine.dispose()


@dataclass
class Journal:
    """A private redis-server and an ``ivr worker``: the deployed shape of the call journal."""

    redis: RedisServer
    worker: Proc

    @property
    def pids(self) -> tuple[int, ...]:
        return (self.redis.pid, self.worker.pid)

    @property
    def url(self) -> str:
        return self.redis.url

    def backlog(self) -> int:
        from redis import Redis

        from ivr.calls.journal import STREAM

        client = Redis.from_url(self.url, socket_timeout=5)
        try:
            return int(client.xlen(STREAM))
        finally:
            client.close()

    def drain(self, timeout: float = 120.0) -> tuple[float, int]:
        """(seconds until the worker had written every journal entry, entries left)."""
        started = time.monotonic()
        while (left := self.backlog()) and time.monotonic() - started < timeout:
            self.worker.check_alive("the journal to drain")
            time.sleep(0.2)
        return time.monotonic() - started, left


@contextlib.contextmanager
def journal_services(tmp: Path, environ: dict[str, str]) -> Iterator[Journal]:
    """Start Redis on a free port and ``ivr worker`` on it; sets REDIS_URL in ``environ``."""
    with private_redis(tmp) as redis:
        environ["REDIS_URL"] = redis.url
        cmd = [str(BIN / "ivr"), "worker", "--queues", "events"]
        worker = spawn("ivr worker", cmd, tmp / "worker.log", environ)
        try:
            yield Journal(redis, worker)
        finally:
            environ.pop("REDIS_URL", None)
            worker.stop()


# --- load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    base_url: str
    auth_token: str
    start_at: float  # time.monotonic(): CLOCK_MONOTONIC, the same in every process
    warm_end: float  # requests started from here on are measured
    end: float  # no request starts after this
    timeout: float
    pause: float  # between a caller's webhooks, as if listening to the prompt


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    warmup_errors: int = 0
    calls: int = 0  # measured /voice/incoming requests answered 200
    last_end: float = 0.0
    samples: list[str] = field(default_factory=list)
    client_cpu: float = 0.0

    def add(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        self.warmup_errors += other.warmup_errors
        self.calls += other.calls
        self.last_end = max(self.last_end, other.last_end)
        self.samples.extend(other.samples[: max(0, 5 - len(self.samples))])
        self.client_cpu += other.client_cpu


def gather_action(body: str) -> str | None:
    try:
        gather = ET.fromstring(body).find("Gather")  # the server under test
    except ET.ParseError:
        return None
    return None if gather is None else gather.get("action")


def caller(load: Load, tickets, tally: Tally) -> None:
    """One simulated caller: calls back to back on one keep-alive connection."""
    validator = RequestValidator(load.auth_token)
    parts = urlsplit(load.base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=load.timeout)

    def may_start(now: float) -> bool:
        if now < load.warm_end:
            return True
        if now >= load.end:
            return False
        if tickets is None:
            return True
        with tickets.get_lock():
            if tickets.value <= 0:
                return False
            tickets.value -= 1
            return True

    def post(url: str, params: dict[str, str]) -> tuple[int, str]:
        target = urlsplit(url)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": validator.compute_signature(url, params),
            "User-Agent": "TwilioProxy/1.1",
        }
        path = target.path + (f"?{target.query}" if target.query else "")
        conn.request("POST", path, body=urlencode(params), headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")

    # With pauses, callers start spread over one pause and pause 0.5-1.5x as long, as
    # independent calls would; in step, they would arrive in bursts of --concurrency.
    jitter = random.Random()
    stagger = jitter.uniform(0, load.pause)
    time.sleep(max(0.0, load.start_at + stagger - time.monotonic()))
    try:
        while True:
            base = {
                "CallSid": "CA" + secrets.token_hex(16),
                "AccountSid": ACCOUNT_SID,
                "From": CALLER,
                "To": CALLED,
                "Direction": "inbound",
                "ApiVersion": "2010-04-01",
                "CallStatus": "in-progress",
            }
            url, params = f"{load.base_url}/voice/incoming", base
            for press in (None, *PRESSES):
                if press is not None:
                    params = {**base, "Digits": press}
                if not may_start(time.monotonic()):
                    return
                started = time.monotonic()
                try:
                    status, body = post(url, params)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status, body = 0, f"{type(exc).__name__}: {exc}"
                ended = time.monotonic()
                action = gather_action(body) if status == 200 else None
                measured = started >= load.warm_end
                if measured:
                    tally.latencies.append(ended - started)
                    tally.last_end = max(tally.last_end, ended)
                if action is None:
                    if measured:
                        tally.errors += 1
                        if len(tally.samples) < 5:
                            tally.samples.append(f"{urlsplit(url).path} -> {status}: {body[:160]}")
                    else:
                        tally.warmup_errors += 1
                    if status == 0:
                        time.sleep(0.01)
                    break  # this call is over; the caller dials again
                if measured and press is None:
                    tally.calls += 1
                url = urljoin(url, action)
                if load.pause:
                    time.sleep(load.pause * jitter.uniform(0.5, 1.5))
    finally:
        conn.close()


def client_process(load: Load, threads: int, tickets, results) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's; it stops us
    tallies = [Tally() for _ in range(threads)]
    workers = [
        threading.Thread(target=caller, args=(load, tickets, t), daemon=True) for t in tallies
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, load.warm_end - time.monotonic()))
    before = sum(os.times()[:2])
    for worker in workers:
        worker.join()
    total = Tally(client_cpu=sum(os.times()[:2]) - before)
    for tally in tallies:
        total.add(tally)
    results.put(total)


@dataclass
class Run:
    name: str
    tally: Tally
    seconds: float
    cpu: Cpu | None  # over the measured part
    cpu_seconds: float  # how long that part lasted
    log_failures: int = 0

    @property
    def requests(self) -> int:
        return len(self.tally.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.tally.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * 1000

    def cpu_ms_per_request(self) -> float | None:
        if self.cpu is None or not self.requests:
            return None
        return self.cpu.server / self.requests * 1000

    def load_note(self) -> str | None:
        """CPU used meanwhile by what is neither this server, the callers nor PostgreSQL."""
        if self.cpu is None:
            return None
        if self.cpu_seconds < MIN_ATTRIBUTION_SECONDS:
            return f"{self.name}: run too short ({self.cpu_seconds:.1f} s) to attribute machine CPU"
        cpu = self.cpu
        others = cpu.machine - cpu.server - cpu.postgres - cpu.journal - self.tally.client_cpu
        cores = max(0.0, others) / self.cpu_seconds
        journal = f"redis + worker {cpu.journal / self.cpu_seconds:.2f}, " if cpu.journal else ""
        note = (
            f"{self.name}: machine {cpu.machine / self.cpu_seconds:.2f} cores busy: "
            f"server {cpu.server / self.cpu_seconds:.2f}, "
            f"callers {self.tally.client_cpu / self.cpu_seconds:.2f}, "
            f"postgres {cpu.postgres / self.cpu_seconds:.2f}, {journal}"
            f"other processes {cores:.2f}"
        )
        if cores > OTHER_LOAD_WARNING:
            note += "  <- other load on this machine: the figures are not reliable"
        return note


def drive(server: Server, args: argparse.Namespace, auth_token: str, posts: int | None) -> Run:
    """Run the callers against ``server``: for --duration, or until ``posts`` were sent."""
    ctx = mp.get_context("fork")
    start_at = time.monotonic() + 0.5  # time for the client processes to start
    warm_end = start_at + args.warmup
    # With a POST count, the deadline is only a bound in case the server is far slower.
    end = warm_end + (args.duration if posts is None else max(10 * args.duration, 120))
    load = Load(server.base_url, auth_token, start_at, warm_end, end, args.timeout, args.pause)
    tickets = ctx.Value("q", posts) if posts is not None else None
    results = ctx.Queue()
    procs = min(args.client_procs, args.concurrency)
    shares = [args.concurrency // procs + (i < args.concurrency % procs) for i in range(procs)]
    children = [
        ctx.Process(target=client_process, args=(load, n, tickets, results), daemon=True)
        for n in shares
    ]
    try:
        for child in children:
            child.start()
        time.sleep(max(0.0, warm_end - time.monotonic()))
        cpu_before, measured_from = server.cpu(), time.monotonic()
        total = Tally()
        for _ in children:
            total.add(results.get(timeout=max(1.0, end - time.monotonic()) + 2 * args.timeout))
        cpu_after, measured_to = server.cpu(), time.monotonic()
        for child in children:
            child.join(timeout=10)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join(timeout=5)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    seconds = total.last_end - warm_end if total.latencies else 0.0
    return Run(server.name, total, seconds, cpu, measured_to - measured_from)


# --- report -------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    db_label: str,
    ours: Run,
    bare: Run | None,
    rows: tuple[int, int] | None,
    drained: tuple[float, int] | None,
) -> int:
    import gunicorn as gunicorn_pkg

    threads = 1 if args.worker_class == "sync" else args.threads
    print(
        f"Webhook bench: gunicorn {gunicorn_pkg.__version__} {args.worker_class}, "
        f"{args.workers} workers x {threads} thread(s), --config {GUNICORN_CONFIG}; "
        f"{os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}"
    )
    print(
        f"Load: {args.concurrency} concurrent callers ({args.client_procs} client "
        f"process(es)), {args.duration:g} s after {args.warmup:g} s warm-up; each call = "
        f"POST /voice/incoming + Gather actions {', '.join(PRESSES)}"
        + (f", {args.pause:g} s pause between webhooks" if args.pause else ", no pauses")
    )
    print(f"Database: {db_label}")
    print(
        "Call journal: Redis (private redis-server) + `ivr worker --queues events`"
        if drained is not None
        else "Call journal: none (--no-redis): every webhook writes to the database"
    )
    print()
    print(
        f"{'server':<8}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'server CPU ms/req':>19}{'client CPU s':>14}"
    )
    for run in (ours, bare):
        if run is None:
            continue
        cpu = run.cpu_ms_per_request()
        print(
            f"{run.name:<8}{run.requests:>10}{run.tally.errors:>8}{run.rate:>10.1f}"
            f"{run.percentile_ms(0.50):>9.1f}{run.percentile_ms(0.99):>9.1f}"
            f"{'n/a' if cpu is None else f'{cpu:.2f}':>19}{run.tally.client_cpu:>14.1f}"
        )
    print()
    ratio = ours.rate / bare.rate if bare and bare.rate else 0.0
    p99 = ours.percentile_ms(0.99)
    embedded = args.no_redis and not args.database_url
    target = EMBEDDED_RATIO_TARGET if embedded else RATIO_TARGET
    ratio_ok, p99_ok = ratio >= target, p99 < P99_TARGET_MS
    print(
        f"throughput ratio ours/bare = {ratio:.2f} (target >= {target:.2f}"
        f"{', embedded set-up' if embedded else ''})  "
        f"{'OK' if ratio_ok else 'MISSED'}"
    )
    print(
        f"p99 ours = {p99:.0f} ms (target < {P99_TARGET_MS:.0f} ms)  {'OK' if p99_ok else 'MISSED'}"
    )
    if rows is not None:
        print(
            f"recorded: {rows[0]} calls, {rows[1]} call events (warm-up included); "
            f"{ours.log_failures} failed database writes logged by the server"
        )
    if drained is not None:
        seconds, left = drained
        print(
            f"journal: written by the worker {seconds:.1f} s after the load ended, "
            f"{left} entries left"
        )
    errors = ours.tally.errors + (bare.tally.errors if bare else 0)
    for run in (ours, bare):
        if run is None:
            continue
        note = run.load_note()
        if note:
            print(note)
        if run.tally.warmup_errors:
            print(f"{run.name}: {run.tally.warmup_errors} errors during warm-up (not counted)")
        for sample in run.tally.samples:
            print(f"{run.name} error: {sample}")
    complete = drained is None or drained[1] == 0
    return 0 if errors == 0 and ratio_ok and p99_ok and ours.log_failures == 0 and complete else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50, help="simultaneous callers")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-class", default=WORKER_CLASS, choices=("gthread", "sync"))
    parser.add_argument("--threads", type=int, default=THREADS, help="threads per gthread worker")
    parser.add_argument(
        "--database-url",
        help="default: a temporary SQLite file; a PostgreSQL "
        "URL gets a scratch schema, dropped afterwards",
    )
    parser.add_argument(
        "--client-procs",
        type=int,
        default=2,
        help="processes the callers are spread over (the client's GIL)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, s")
    parser.add_argument(
        "--no-redis",
        action="store_true",
        help="no Redis: webhooks write every step to the database themselves (the embedded "
        "default); by default a private redis-server and `ivr worker` run the call journal "
        "as deployed",
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds a caller waits between webhooks (default 0: back to back, which "
        "measures capacity; with pauses req/s is the offered load, not a capacity)",
    )
    args = parser.parse_args()
    if min(args.concurrency, args.workers, args.threads, args.client_procs) < 1:
        parser.error("--concurrency, --workers, --threads and --client-procs must be >= 1")
    if args.duration <= 0 or args.warmup < 0 or args.pause < 0:
        parser.error("--duration must be > 0, --warmup and --pause >= 0")

    # SIGTERM unwinds like Ctrl-C, so the servers and the scratch schema are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    auth_token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="webhooks-bench-") as tmp_name:
        tmp = Path(tmp_name)
        environ = server_environ(tmp, auth_token)
        with database(args.database_url, tmp) as (db_url, db_label):
            environ["DATABASE_URL"] = db_url
            with contextlib.ExitStack() as services:
                journal = None
                if not args.no_redis:
                    journal = services.enter_context(journal_services(tmp, environ))
                with gunicorn("ours", OURS_APP, environ, args, tmp) as server:
                    if journal is not None:
                        server.journal_pids = journal.pids
                    ours = drive(server, args, auth_token, posts=None)
                    ours.log_failures = server.log_count(FAILED_WRITE)
                drained = journal.drain() if journal is not None else None
            rows = recorded(db_url)
            bare = None
            if ours.requests:
                with gunicorn("bare", BARE_APP, environ, args, tmp) as server:
                    bare = drive(server, args, auth_token, posts=ours.requests)
    return report(args, db_label, ours, bare, rows, drained)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: servers stopped, temporary database removed", file=sys.stderr)
        sys.exit(130)
    except RuntimeError as exc:  # a server or the database would not start
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
