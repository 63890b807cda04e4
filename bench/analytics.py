"""Benchmark the flow's traffic and the centre statistics on a million call events.

Usage: .venv/bin/python bench/analytics.py [--events 1000000] [--template 300] [--repeat 5]
           [--database-url postgresql://postgres@127.0.0.1:5432/test]

In a scratch schema of that PostgreSQL database (migrated, dropped afterwards):
``--template`` calls are walked through the real flow by the analytics demo
(ivr.analytics.demo: signed webhooks, queues, agents, a moving clock), then their calls
and events are copied with shifted days and new ids until ``--events`` events exist,
bulk-loaded with COPY (psycopg 3), then ANALYZE. Over the 30 days, it times (median of
``--repeat``), each beside a plain SQL query of the same figures written by hand:

- the traffic on the drawn flow (ivr.analytics.traffic.traffic) and the /flows/ page;
- the centre statistics (ivr.analytics.stats.report) and the /stats/ page;

prints the figures of both side by side (they must agree) and the ratios. Targets: each
page under 1 s. Exit status 0 when both are met and the figures agree.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from ivr.settings import load_settings  # noqa: E402
from tests.harness import app_environ, scratch_database  # noqa: E402

DAYS = 30
PAGE_TARGET_S = 1.0
PASSWORD = "bench-password-12333"
END = date(2026, 11, 30)  # the period: 2026-10-31 .. 2026-11-29, centre time
CALL_COLUMNS = ("id", "sid", "from_number", "to_number", "locale", "status", "duration")
CALL_COLUMNS += ("started_at", "ended_at", "trial")
EVENT_COLUMNS = ("id", "call_id", "key", "kind", "node", "digits", "detail", "created_at")

# The traffic's figures, by hand: every node's entries, options, invalid keys, silences;
# then where ended calls took their last step, unless they ended there served.
TRAFFIC_SQL = """
SELECT e.node, e.kind, e.digits, e.detail->>'target' AS target,
       count(*) AS n, count(DISTINCT e.call_id) AS calls
FROM call_events e JOIN calls c ON c.id = e.call_id
WHERE NOT c.trial AND c.started_at >= :start AND c.started_at < :end
  AND e.kind IN ('enter', 'option', 'invalid', 'silence', 'silence-hangup', 'back', 'hours')
GROUP BY 1, 2, 3, 4
"""
LAST_STEP_SQL = """
SELECT node, count(*) FROM (
  SELECT DISTINCT ON (e.call_id) e.node, e.kind,
         coalesce(e.detail->>'result', '') AS result, coalesce(e.detail->>'outcome', '') AS outcome
  FROM call_events e JOIN calls c ON c.id = e.call_id
  WHERE NOT c.trial AND c.started_at >= :start AND c.started_at < :end
    AND c.status IN ('completed', 'busy', 'failed', 'no-answer', 'canceled') AND e.node <> ''
  ORDER BY e.call_id, e.created_at DESC, e.id DESC) last
WHERE NOT (kind IN ('hangup', 'silence-hangup', 'agent-answered', 'voicemail-recorded',
                    'voicemail-kept', 'complaint-message')
           OR (kind = 'connect-result'
               AND result IN ('completed', 'answered', 'bridged', 'bridging-in-process'))
           OR (kind = 'queue-left' AND outcome = 'answered'))
GROUP BY 1
"""
# The statistics' figures per centre, by hand: one row per call, then per centre.
STATS_SQL = """
WITH per_call AS (
  SELECT c.id,
    coalesce(max(e.detail->>'centre') FILTER (WHERE e.kind = 'enqueue'),
             max(e.detail->>'centre') FILTER (WHERE e.kind = 'agent-dial'),
             max(e.detail->>'centre') FILTER (WHERE e.kind = 'incoming'), '') AS centre,
    bool_or(e.kind = 'option' AND e.node IN ('main_menu', 'reduced_menu')
            AND e.digits IN ('1', '3', '4')) AS self_option,
    bool_or(e.kind IN ('enqueue', 'agent-dial', 'dial', 'complaint-opened',
                       'voicemail-recorded')) AS served,
    bool_or(e.kind = 'end') AS ended,
    bool_or(e.kind IN ('enqueue', 'agent-dial')) AS to_agents,
    bool_or(e.kind = 'agent-answered') AS answered,
    max((e.detail->>'waited')::int) FILTER (WHERE e.kind = 'queue-left') AS waited,
    bool_or(e.kind = 'queue-left' AND e.detail->>'outcome' = 'hung-up') AS abandoned,
    bool_or(e.kind = 'queue-left' AND e.detail->>'outcome' = 'overflowed') AS overflowed,
    count(*) FILTER (WHERE e.kind = 'voicemail-recorded')
      - count(*) FILTER (WHERE e.kind = 'voicemail-discarded') AS voicemails
  FROM calls c JOIN call_events e ON e.call_id = c.id
  WHERE NOT c.trial AND c.started_at >= :start AND c.started_at < :end
    AND e.created_at >= :start
    AND e.kind IN ('incoming', 'option', 'queue-left', 'agent-answered', 'voicemail-discarded',
                   'end', 'enqueue', 'agent-dial', 'dial', 'complaint-opened',
                   'voicemail-recorded')
  GROUP BY c.id)
SELECT centre, count(*) AS offered,
  count(*) FILTER (WHERE ended AND NOT served AND self_option) AS self_service,
  count(*) FILTER (WHERE ended AND NOT served AND NOT self_option) AS gave_up,
  count(*) FILTER (WHERE to_agents) AS to_agents,
  count(*) FILTER (WHERE answered) AS answered,
  count(*) FILTER (WHERE answered AND coalesce(waited, 0) <= :level) AS answered_within,
  count(*) FILTER (WHERE abandoned) AS abandoned,
  count(*) FILTER (WHERE overflowed) AS overflowed,
  max(waited) AS longest_wait,
  sum(voicemails) AS voicemails
FROM per_call GROUP BY centre ORDER BY centre
"""
STATS_FIGURES = (
    "offered",
    "self_service",
    "gave_up",
    "to_agents",
    "answered",
    "answered_within",
    "abandoned",
    "overflowed",
    "longest_wait",
    "voicemails",
)


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def template(app, calls: int) -> tuple[list[tuple], list[tuple]]:
    """Walk ``calls`` calls through the flow; their rows as (calls, events) tuples."""
    from ivr import db
    from ivr.analytics.demo import walk

    runner = app.test_cli_runner()
    runner.invoke(args=["agents", "demo"])
    with app.app_context():
        summary = walk(app, calls, days=DAYS, end=END, echo=lambda line: None)
        if summary.failed:
            raise SystemExit(f"the template walk failed: {summary.failed[0]}")
        connection = db.session().connection()
        call_rows = connection.execute(text(f"SELECT {', '.join(CALL_COLUMNS)} FROM calls")).all()
        event_rows = connection.execute(
            text(f"SELECT {', '.join(EVENT_COLUMNS)} FROM call_events")
        ).all()
        db.session().commit()
    return [tuple(r) for r in call_rows], [tuple(r) for r in event_rows]


def bulk_load(
    app, calls: list[tuple], events: list[tuple], target: int, zone: Any
) -> tuple[int, int]:
    """Copies of the template, each call moved by whole days (its hours kept) within the
    period, with new ids and CallSids, COPYed in until ``target`` events exist."""
    from ivr import db

    rng = random.Random(12333)  # noqa: S311 - benchmark data
    by_call: dict[int, list[tuple]] = {}
    for row in events:
        by_call.setdefault(row[1], []).append(row)
    first = END - timedelta(days=DAYS)
    with app.app_context():
        raw = db.engine().raw_connection()
        try:
            cursor = raw.cursor()
            next_call = max(c[0] for c in calls) + 1
            next_event = max(e[0] for e in events) + 1
            loaded = len(events)
            copies = 0
            with (
                cursor.copy(f"COPY calls ({', '.join(CALL_COLUMNS)}) FROM STDIN") as call_copy,
            ):
                new_events = []
                while loaded < target:
                    copies += 1
                    for call in calls:
                        day = (call[7].astimezone(zone).date() - first).days
                        shift = timedelta(days=rng.randrange(-day, DAYS - day))
                        ended = call[8] + shift if call[8] else None
                        sid = f"CA{copies:06x}{call[0]:026x}"
                        call_copy.write_row(
                            (next_call, sid, *call[2:7], call[7] + shift, ended, call[9])
                        )
                        for event in by_call.get(call[0], ()):
                            new_events.append(
                                (
                                    next_event,
                                    next_call,
                                    event[2],
                                    event[3],
                                    event[4],
                                    event[5],
                                    json.dumps(event[6], ensure_ascii=False),
                                    event[7] + shift,
                                )
                            )
                            next_event += 1
                            loaded += 1
                        next_call += 1
                        if loaded >= target:
                            break
            with cursor.copy(f"COPY call_events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for row in new_events:
                    copy.write_row(row)
            cursor.execute(f"SELECT setval('calls_id_seq', {next_call})")
            cursor.execute(f"SELECT setval('call_events_id_seq', {next_event})")
            raw.commit()
            cursor.execute("ANALYZE calls")
            cursor.execute("ANALYZE call_events")
            raw.commit()
        finally:
            raw.close()
    return next_call - 1, loaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--template", type=int, default=300, help="calls walked, then copied")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="PostgreSQL URL (a scratch schema is used)",
    )
    args = parser.parse_args()

    from ivr import db
    from ivr.analytics.stats import Period as StatsPeriod
    from ivr.analytics.stats import report
    from ivr.analytics.traffic import Period as TrafficPeriod
    from ivr.analytics.traffic import traffic
    from ivr.app import create_app
    from ivr.staff.models import User

    first, last = END - timedelta(days=DAYS), END - timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="ivr-bench-analytics-") as tmp_name:
        tmp = Path(tmp_name)
        with scratch_database(args.database_url, tmp, prefix="ivr_bench") as scratch:
            app = create_app({"SETTINGS": load_settings(app_environ(scratch.url, tmp))})
            app.config["WTF_CSRF_ENABLED"] = False
            zone = app.config["SETTINGS"].timezone
            bundle = app.extensions["ivr.flows"]
            print(f"database: {scratch.description}")
            started = time.perf_counter()
            calls, events = template(app, args.template)
            walked = time.perf_counter() - started
            print(
                f"template: {len(calls)} calls walked through the flow ({len(events)} events) "
                f"in {walked:.1f} s"
            )
            started = time.perf_counter()
            total_calls, total_events = bulk_load(app, calls, events, args.events, zone)
            print(
                f"bulk-loaded (COPY) to {total_calls} calls, {total_events} events "
                f"in {time.perf_counter() - started:.1f} s"
            )
            with app.app_context():
                session = db.session()
                session.add(
                    User(
                        username="bench",
                        role="admin",
                        password_hash=generate_password_hash(PASSWORD),
                    )
                )
                session.commit()
            client = app.test_client()
            response = client.post("/login", data={"username": "bench", "password": PASSWORD})
            assert response.status_code == 302, response.status_code
            query = f"from={first.isoformat()}&to={last.isoformat()}"
            bounds = TrafficPeriod(first, last).bounds(zone)
            params = {"start": bounds[0], "end": bounds[1], "level": 20}

            def in_app(work: Callable[[Any], Any]) -> Callable[[], Any]:
                def run() -> Any:
                    with app.app_context():
                        return work(db.session())

                return run

            def page(path: str) -> Callable[[], int]:
                def get() -> int:
                    response = client.get(f"{path}?{query}")
                    assert response.status_code == 200, (path, response.status_code)
                    return len(response.data)

                return get

            def plain_traffic(session) -> tuple[list, list]:
                return (
                    session.execute(text(TRAFFIC_SQL), params).all(),
                    session.execute(text(LAST_STEP_SQL), params).all(),
                )

            page("/flows/")()  # warm-up: Graphviz lays the flow out once per flows version
            page("/stats/")()
            traffic_s, figures = timed(
                in_app(lambda s: traffic(s, TrafficPeriod(first, last), zone, bundle.directory)),
                args.repeat,
            )
            traffic_sql_s, (rows, last_rows) = timed(in_app(plain_traffic), args.repeat)
            flows_page_s, _ = timed(page("/flows/"), args.repeat)
            stats_s, result = timed(
                in_app(lambda s: report(s, StatsPeriod(first, last, zone), bundle)), args.repeat
            )
            stats_sql_s, stats_rows = timed(
                in_app(lambda s: s.execute(text(STATS_SQL), params).mappings().all()),
                args.repeat,
            )
            stats_page_s, _ = timed(page("/stats/"), args.repeat)
            with app.app_context():
                db.engine().dispose()

    entered = {node: calls for node, kind, _, _, _, calls in rows if kind == "enter"}
    options = Counter()
    for node, kind, digits, _, count, _ in rows:
        if kind == "option":
            options[(node, digits)] += count
    hangups = Counter(dict(last_rows))
    traffic_agree = (
        entered == figures.entered
        and options == Counter({(o.node, o.digits): o.count for o in figures.options})
        and hangups == figures.hangups
    )
    print(f"\ntraffic on the drawn flow, {first} .. {last}: {figures.calls} calls")
    print(f"  {'node':<18} {'entered':>9} {'SQL':>9} {'gave up':>8} {'SQL':>8}")
    for node in sorted(entered, key=lambda n: -entered[n])[:12]:
        print(
            f"  {node:<18} {figures.entered.get(node, 0):>9} {entered[node]:>9} "
            f"{figures.hangups[node]:>8} {hangups[node]:>8}"
        )
    print(f"  figures agree (entries, options, hang-ups at every node): {yes(traffic_agree)}")

    stats_agree = True
    print("\ncentre statistics per centre (report / plain SQL):")
    print("  " + " ".join(f"{name[:10]:>12}" for name in ("centre", *STATS_FIGURES)))
    for row in stats_rows:
        mine = result.by_centre.get(row["centre"])
        cells = [f"{row['centre'] or '-':>12}"]
        for name in STATS_FIGURES:
            theirs = None if mine is None else getattr(mine, name)
            sql = None if row[name] is None else int(row[name])
            stats_agree &= theirs == sql
            cells.append(f"{f'{theirs}/{sql}':>12}")
        print("  " + " ".join(cells))
    print(f"  figures agree for every centre: {yes(stats_agree)}")

    print(f"\n{total_events} events, {total_calls} calls; median of {args.repeat} runs:")
    print(f"  traffic (ivr.analytics.traffic)     {traffic_s * 1000:8.1f} ms")
    print(f"  plain SQL of the same figures        {traffic_sql_s * 1000:8.1f} ms")
    print(f"  ratio traffic / SQL: {traffic_s / traffic_sql_s:.2f}x")
    print(f"  /flows/ page (drawing + traffic)     {flows_page_s * 1000:8.1f} ms (target < 1 s)")
    print(f"  statistics (ivr.analytics.stats)     {stats_s * 1000:8.1f} ms")
    print(f"  plain SQL of the same figures        {stats_sql_s * 1000:8.1f} ms")
    print(f"  ratio statistics / SQL: {stats_s / stats_sql_s:.2f}x")
    print(f"  /stats/ page                         {stats_page_s * 1000:8.1f} ms (target < 1 s)")
    ok = (
        traffic_agree
        and stats_agree
        and flows_page_s < PAGE_TARGET_S
        and stats_page_s < PAGE_TARGET_S
    )
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


def yes(flag: bool) -> str:
    return "yes" if flag else "NO"


if __name__ == "__main__":
    sys.exit(main())
