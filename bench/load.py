"""Load test: many simulated callers walking random menu paths through the whole stack.

Usage: .venv/bin/python bench/load.py [--callers 200] [--ramp 5] [--calls 2] [--workers 2]
           [--threads 4] [--database-url postgresql://postgres@127.0.0.1:5432/test]
           [--redis-url redis://...] [--client-procs 2] [--think 0] [--seed N]

Starts the stack itself, on loopback only, and stops it on exit, error or Ctrl-C:

- a private ``redis-server`` on a free port (or --redis-url: an existing one; nothing
  of its own is flushed, the jobs go to a database index you choose);
- a scratch schema in the --database-url PostgreSQL database, migrated with Alembic and
  dropped afterwards;
- ``gunicorn -c python:ivr.gunicorn --workers N 'ivr.app:create_app()'`` (the production
  config: gthread, WEB_THREADS threads), with its own environment: random
  TWILIO_AUTH_TOKEN and SECRET_KEY, IVR_PUBLIC_URL = its own address, no instance/ivr.env.

``--callers`` simulated callers start evenly over ``--ramp`` seconds; each places
``--calls`` calls one after another with ``ivr.simulator.Phone`` (what ``ivr call`` uses):
every webhook signed as Twilio signs it, every Gather, Redirect, Dial, Enqueue and
Record followed, recording status callbacks and the final status callback sent. Paths
are random: information topics (repeat, back, continue), voicemail (kept or recorded
again; the recording URL is on loopback and no worker runs, so the downloads just wait
in Redis, and so do the call journal's menu steps until ``ivr calls flush`` writes them
after the load), other regions by area code (known and unknown), agents, silence, stray keys.
Callers come from Changchun and Jilin City landlines and a mobile number. With the
default ``--think 0`` each caller sends its next webhook as soon as it has the answer (a
stress test: 200 callers keep ~200 requests in flight); ``--think 3`` is closer to people
listening to prompts and pressing keys.

Prints completed and failed calls, errors (every non-2xx answer or transport error;
must be 0), throughput, p50/p99/max latency per webhook endpoint, and what the database
holds afterwards. Exit status 0 when there were no errors and no failed database writes.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing as mp
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ivr.simulator import CallFailed, Phone  # noqa: E402
from tests.harness import (  # noqa: E402
    Server,
    free_port,
    gunicorn_command,
    normalise_database_url,
    private_redis,
    scratch_database,
    spawn,
    tail,
    wait_http,
)

ACCOUNT_SID = "AC" + "0" * 32
CALLED = "+8643112333"  # the zh-CN hotline number
CALLERS = ("+8643188881234", "+8643262012345", "+8613904311234")  # Changchun, Jilin, mobile
FAILED_WRITE = "could not record call events"  # ivr/voice/views.py logs this, answers anyway
OWN_PREFIXES = ("IVR_", "TWILIO_", "VOSK_MODEL_", "WEB_", "PROMETHEUS_")
OWN_NAMES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PORT")
OTHER_LOAD_WARNING = 0.15  # cores used by unrelated processes during a run
ROUTES = ("incoming", "input", "node", "recording", "status", "fallback")


# --- what callers press -----------------------------------------------------------------


def random_path(rng: random.Random) -> list[str]:
    """One caller's keys ("-" = silence). Out of staffed hours 9/0/5 are invalid keys."""
    kind = rng.choices(
        ["topic", "voicemail", "region", "agent", "service", "silence", "stray"],
        weights=[30, 15, 15, 15, 10, 5, 10],
    )[0]
    if kind == "topic":
        keys = ["1", str(rng.randint(1, 8))]
        keys += rng.choice([["1", "2", "2"], ["2", "1", "1", "3"], ["*", "*"], ["2", "2"], []])
    elif kind == "voicemail":
        keys = rng.choice([["2", "1"], ["2", "2", "1", "2"], ["2", "1", "1", "3", "2"]])
    elif kind == "region":
        keys = ["9", rng.choice(["0431#", "0432#", "0439#", "0#", "9999#"])]
        keys += rng.choice([["0433#"], ["2"], ["1", "1"], []])
    elif kind == "agent":
        keys = ["0", rng.choice(["1", "2"]), rng.choice(["2", "1", ""])]
    elif kind == "service":
        keys = [rng.choice("345"), rng.choice(["1", "2"]), rng.choice(["4", "2"])]
    elif kind == "silence":
        keys = ["-", "-", "-"]
    else:
        keys = [rng.choice("0123456789*#") for _ in range(rng.randint(1, 6))]
    return [k for k in keys if k]


def route(url: str) -> str:
    parts = urlsplit(url).path.strip("/").split("/")
    return "/voice/" + parts[1] + ("/<node>" if len(parts) > 2 else "") if len(parts) > 1 else url


# --- the stack ------------------------------------------------------------------------------


@contextlib.contextmanager
def redis_server(url: str | None, tmp: Path) -> Iterator[tuple[str, str]]:
    if url:
        yield url, f"Redis {url.split('@')[-1]} (given)"
        return
    with private_redis(tmp) as own:
        yield own.url, f"Redis 127.0.0.1:{own.port} (private redis-server)"


@contextlib.contextmanager
def database(url: str, tmp: Path) -> Iterator[tuple[str, str]]:
    """A migrated scratch schema in that PostgreSQL database, dropped afterwards."""
    if not normalise_database_url(url).startswith("postgresql"):
        raise SystemExit("--database-url must be a PostgreSQL URL")
    with scratch_database(url, tmp, prefix="ivr_load") as scratch:
        yield scratch.url, scratch.description


def server_environ(tmp: Path, auth_token: str, threads: int) -> dict[str, str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES) and k not in OWN_NAMES
    }
    metrics = tmp / "metrics"
    metrics.mkdir()
    environ.update(
        IVR_ENV="production",
        IVR_ENV_FILE=str(tmp / "absent.env"),  # never created: instance/ivr.env stays out
        TWILIO_AUTH_TOKEN=auth_token,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        SECRET_KEY=secrets.token_hex(32),
        IVR_RECORDINGS_DIR=str(tmp / "recordings"),
        IVR_FLOWS_DIR=str(ROOT / "flows"),
        IVR_MODELS_DIR=str(tmp / "models"),
        IVR_MEDIA_HOSTS="api.twilio.com,127.0.0.1",
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
        WEB_THREADS=str(threads),
        PYTHONUNBUFFERED="1",
    )
    return environ


@contextlib.contextmanager
def gunicorn(environ: dict[str, str], workers: int, tmp: Path) -> Iterator[tuple[str, Path, int]]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = gunicorn_command("ivr.app:create_app()", port, workers=workers)
    # SIGTERM: gunicorn's graceful stop (the master waits for its workers), then SIGKILL.
    proc = spawn("gunicorn", cmd, tmp / "gunicorn.log", {**environ, "IVR_PUBLIC_URL": base_url},
                 cls=Server, port=port, stop_timeout=15)  # fmt: skip
    try:
        wait_http(proc)  # 200: database and Redis reachable
        yield base_url, proc.log, proc.pid
    finally:
        proc.stop()


def cpu_seconds(server_pid: int) -> tuple[float, float, float] | None:
    """(machine busy, gunicorn master + workers, PostgreSQL) CPU seconds so far (Linux)."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        times = [int(v) for v in Path("/proc/stat").read_text().split()[1:9]]
        machine = sum(times) - times[3] - times[4]  # all but idle and iowait
        server = postgres = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            used = int(fields[11]) + int(fields[12])  # utime, stime
            if int(entry.name) == server_pid or int(fields[1]) == server_pid:
                server += used
            elif comm.startswith("postgres"):
                postgres += used
        return machine / tick, server / tick, postgres / tick
    except (OSError, ValueError):
        return None


# --- the callers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    base_url: str
    auth_token: str
    start_at: float  # time.monotonic(): CLOCK_MONOTONIC, the same in every process
    ramp: float
    callers: int
    calls: int
    timeout: float
    seed: int
    think: float = 0.0  # mean seconds a caller waits before each webhook


@dataclass
class Tally:
    samples: list[tuple[str, float, int]] = field(default_factory=list)  # route, s, status
    completed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    first: float = math.inf
    last: float = 0.0
    client_cpu: float = 0.0

    def add(self, other: Tally) -> None:
        self.client_cpu += other.client_cpu
        self.samples += other.samples
        self.completed += other.completed
        self.failed += other.failed
        self.errors += other.errors
        self.first, self.last = min(self.first, other.first), max(self.last, other.last)


def caller(load: Load, index: int, tally: Tally) -> None:
    import requests

    rng = random.Random(load.seed * 1_000_003 + index)
    session = requests.Session()

    def send(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        parts = urlsplit(url)
        target = load.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        if load.think:
            time.sleep(load.think * rng.uniform(0.5, 1.5))
        started = time.monotonic()
        try:
            response = session.post(target, data=params, headers=headers, timeout=load.timeout)
            status, body = response.status_code, response.text
        except requests.RequestException as exc:
            status, body = 0, f"{type(exc).__name__}: {exc}"
        ended = time.monotonic()
        tally.samples.append((route(url), ended - started, status))
        tally.first, tally.last = min(tally.first, started), max(tally.last, ended)
        if not 200 <= status < 300:
            tally.errors.append(f"{route(url)} -> {status}: {body[:160]}")
        return status, body

    delay = load.start_at + load.ramp * index / max(1, load.callers) - time.monotonic()
    time.sleep(max(0.0, delay))
    try:
        for _ in range(load.calls):
            phone = Phone(
                send,
                load.base_url,
                load.auth_token,
                caller=rng.choice(CALLERS),
                called=CALLED,
                account_sid=ACCOUNT_SID,
                dial_status=rng.choice(["completed", "completed", "busy", "no-answer"]),
                recording_url=f"http://127.0.0.1:9/Recordings/RE{secrets.token_hex(16)}",
                recording_duration=rng.randint(3, 40),
            )
            errors_before = len(tally.errors)
            try:
                phone.call(random_path(rng))
            except CallFailed as exc:
                tally.failed += 1
                if len(tally.errors) == errors_before:
                    tally.errors.append(str(exc)[:200])
                continue
            if len(tally.errors) == errors_before:
                tally.completed += 1
            else:
                tally.failed += 1  # e.g. its final status callback was refused
    finally:
        session.close()


def client_process(load: Load, indexes: list[int], results) -> None:
    before = sum(os.times()[:2])
    tallies = [Tally() for _ in indexes]
    threads = [
        threading.Thread(target=caller, args=(load, i, t), daemon=True)
        for i, t in zip(indexes, tallies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Tally(client_cpu=sum(os.times()[:2]) - before)
    for tally in tallies:
        total.add(tally)
    results.put(total)


def drive(load: Load, procs: int) -> Tally:
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    shares = [list(range(p, load.callers, procs)) for p in range(procs)]
    children = [
        ctx.Process(target=client_process, args=(load, share, results), daemon=True)
        for share in shares
        if share
    ]
    total = Tally()
    try:
        for child in children:
            child.start()
        # A call is at most 200 requests (ivr.simulator.MAX_REQUESTS).
        bound = load.ramp + load.calls * 200 * (load.timeout + 1.5 * load.think) + 60
        for _ in children:
            total.add(results.get(timeout=bound))
        for child in children:
            child.join(timeout=10)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join(timeout=5)
    return total


# --- report ---------------------------------------------------------------------------------


def percentile_ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * 1000


def flush_journal(environ: dict[str, str]) -> str:
    """No worker runs here: write the call journal's menu steps as a worker would."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ivr"), "calls", "flush"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return (done.stdout.strip() or done.stderr.strip()[-300:]).replace("\n", "; ")


def recorded(url: str) -> dict[str, int] | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: int(conn.scalar(text(f"SELECT count(*) FROM {table}")))
                for table in ("calls", "call_events", "voicemails")
            }
    except Exception:  # a report line, not a reason to fail the bench
        return None
    finally:
        engine.dispose()


def report(args, labels: dict[str, str], total: Tally, rows, server_log: Path, cpu) -> int:
    import gunicorn as gunicorn_pkg

    requests_sent = len(total.samples)
    seconds = total.last - total.first if requests_sent else 0.0
    errors = sum(1 for _, _, status in total.samples if not 200 <= status < 300)
    log = server_log.read_text(errors="replace") if server_log.exists() else ""
    failed_writes = log.count(FAILED_WRITE)
    print(
        f"Load bench: {args.callers} callers ramped over {args.ramp:g} s, {args.calls} call(s) "
        f"each, random menu paths, think time {args.think:g} s; "
        f"{args.client_procs} client process(es)"
    )
    print(
        f"Server: gunicorn {gunicorn_pkg.__version__} -c python:ivr.gunicorn (gthread), "
        f"{args.workers} workers x {args.threads} threads; {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}"
    )
    print(f"Database: {labels['database']}")
    print(f"Jobs: {labels['redis']} (no worker: recording downloads stay queued)")
    print()
    print(
        f"calls: {total.completed} completed, {total.failed} failed; "
        f"webhooks: {requests_sent} sent, {errors} errors"
    )
    if seconds > 0:
        print(
            f"throughput: {total.completed / seconds:.1f} calls/s, "
            f"{requests_sent / seconds:.1f} webhooks/s over {seconds:.1f} s"
        )
    if cpu is not None and seconds > 0 and requests_sent:
        machine, server, postgres, wall = cpu
        others = max(0.0, machine - server - postgres - total.client_cpu)
        print(
            f"cpu: server {server / requests_sent * 1000:.2f} ms/webhook; cores busy: machine "
            f"{machine / wall:.2f} = server {server / wall:.2f} + postgres {postgres / wall:.2f}"
            f" + callers {total.client_cpu / wall:.2f} + other processes {others / wall:.2f}"
        )
        if others / wall > OTHER_LOAD_WARNING:
            print("  <- other load on this machine: throughput and latency are not reliable")
    print()
    by_route: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for name, seconds_taken, status in total.samples:
        by_route[name].append((seconds_taken, status))
    print(f"{'endpoint':<24}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    order = sorted(by_route, key=lambda n: (ROUTES.index(n.split("/")[2]) if n.split("/")[2]
                                            in ROUTES else 99, n))  # fmt: skip
    everything = [s for s, _ in (x for xs in by_route.values() for x in xs)]
    for name in order:
        values = [s for s, _ in by_route[name]]
        bad = sum(1 for _, status in by_route[name] if not 200 <= status < 300)
        print(
            f"{name:<24}{len(values):>10}{bad:>8}{percentile_ms(values, 0.5):>9.1f}"
            f"{percentile_ms(values, 0.99):>9.1f}{max(values) * 1000:>9.1f}"
        )
    if everything:
        print(
            f"{'all':<24}{len(everything):>10}{errors:>8}{percentile_ms(everything, 0.5):>9.1f}"
            f"{percentile_ms(everything, 0.99):>9.1f}{max(everything) * 1000:>9.1f}"
        )
    print()
    if rows is not None:
        print(
            f"database: {rows['calls']} calls, {rows['call_events']} call events, "
            f"{rows['voicemails']} voicemail recordings; {failed_writes} failed database "
            f"writes logged by the server"
        )
        print(f"  call journal, after the load (ivr calls flush): {labels['journal']}")
        if rows["calls"] != total.completed + total.failed:
            print(f"  <- expected {total.completed + total.failed} calls")
    for sample in total.errors[:5]:
        print(f"error: {sample}")
    if "Traceback" in log:
        print(f"the server logged tracebacks; see its log:\n{tail(server_log, 15)}")
    ok = errors == 0 and total.failed == 0 and failed_writes == 0
    ok = ok and rows is not None and rows["calls"] == total.completed
    print("result: OK" if ok else "result: FAILED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=200, help="simulated callers")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which they start")
    parser.add_argument("--calls", type=int, default=2, help="calls each caller places")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="PostgreSQL database to make a scratch schema in (dropped afterwards)",
    )
    parser.add_argument("--redis-url", help="an existing Redis (default: a private one)")
    parser.add_argument("--client-procs", type=int, default=2, help="processes for the callers")
    parser.add_argument("--timeout", type=float, default=15.0, help="per webhook (Twilio's), s")
    parser.add_argument("--seed", type=int, default=12333, help="for the random paths")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a caller takes before each webhook (0: back to back, a stress test)",
    )
    args = parser.parse_args()
    if min(args.callers, args.calls, args.workers, args.threads, args.client_procs) < 1:
        parser.error("--callers, --calls, --workers, --threads, --client-procs must be >= 1")
    if args.workers < 2:
        print("note: fewer than 2 workers is not how the server is deployed", file=sys.stderr)
    if args.ramp < 0 or args.think < 0:
        parser.error("--ramp and --think must be >= 0")

    # SIGTERM unwinds like Ctrl-C, so the servers and the scratch schema are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    auth_token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp_name:
        tmp = Path(tmp_name)
        environ = server_environ(tmp, auth_token, args.threads)
        with (
            database(args.database_url, tmp) as (db_url, db_label),
            redis_server(args.redis_url, tmp) as (redis_url, redis_label),
        ):
            environ.update(DATABASE_URL=db_url, REDIS_URL=redis_url)
            with gunicorn(environ, args.workers, tmp) as (base_url, log, pid):
                load = Load(
                    base_url,
                    auth_token,
                    start_at=time.monotonic() + 0.5,
                    ramp=args.ramp,
                    callers=args.callers,
                    calls=args.calls,
                    timeout=args.timeout,
                    seed=args.seed,
                    think=args.think,
                )
                cpu_before, started = cpu_seconds(pid), time.monotonic()
                total = drive(load, min(args.client_procs, args.callers))
                cpu_after, wall = cpu_seconds(pid), time.monotonic() - started
            cpu = None
            if cpu_before and cpu_after:
                used = [after - b for after, b in zip(cpu_after, cpu_before, strict=True)]
                cpu = (*used, wall)
            flushed = flush_journal(environ)
            rows = recorded(db_url)
            labels = {"database": db_label, "redis": redis_label, "journal": flushed}
            return report(args, labels, total, rows, log, cpu)


if __name__ == "__main__":
    sys.exit(main())
