"""Benchmark the inspection monthly report and the grading page.

Usage: .venv/bin/python bench/report.py [--agents 200] [--inspectors 3] [--repeat 20]
           [--renders 50] [--database-url postgresql://postgres@127.0.0.1:5432/test]

Seeds a scratch database (a temporary SQLite file, or with --database-url a scratch
schema in that PostgreSQL database, dropped afterwards), migrated with Alembic:
``--agents`` agents with ten recorded calls each (real two-channel demo transcripts),
``--inspectors`` inspectors who each draw three calls per agent (ivr.inspection.sampling)
and grade them, and the team leader's composite and other sections for every agent.
Every agent's month is then scored by ivr.grading.scoring and stored, as saving does.

Then it times, median of ``--repeat`` runs each, in a fresh session:

- the monthly report (ivr.inspection.report.monthly_report: every agent of the month
  with section scores, total, grade and six months of trend), and
- a plain SQL aggregate of the same numbers from the stored section figures
  (ivr.inspection.crosscheck.sql_totals: per-inspector means, mean over inspectors,
  40/60 weighting, section sum, grade band, all in one query),

checks the two agree figure for figure, and prints both and their ratio (target <= 3x).
For information it also times re-scoring the whole month from the entries with the
scoring engine (what a rubric change costs once). Last, the grading page: ``--renders``
GETs of sampled calls' pages with the Flask test client, logged in as their inspector
(each render runs the transcript checks and writes its audit row): p50 and p95 (target
p95 < 100 ms). Exit status 0 when both targets are met.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from ivr.settings import load_settings  # noqa: E402
from tests.harness import app_environ, scratch_database  # noqa: E402

MONTH = "2026-11"
RATIO_TARGET = 3.0
P95_TARGET_MS = 100.0
PASSWORD = "bench-password-12333"


@contextlib.contextmanager
def database(url: str | None, tmp: Path) -> Iterator[tuple[str, str]]:
    """(database URL, description): a new SQLite file, or with ``url`` a scratch schema in
    that PostgreSQL database; migrated, and removed afterwards."""
    with scratch_database(url, tmp, prefix="ivr_bench") as scratch:
        yield scratch.url, scratch.description


def seed(app, agents: int, inspectors: int, tmp: Path) -> list[int]:
    """Agents, calls, draws, grades, team-leader entries; returns the sampled-call ids."""
    from ivr import db
    from ivr.agents.models import Agent, CallRecording
    from ivr.inspection import entries as form_entries
    from ivr.inspection.demo_audio import render
    from ivr.inspection.demo_script import ORDINARY, SCRIPTS
    from ivr.inspection.models import AgentMonthEntry, SampledCall
    from ivr.inspection.results import recompute_many
    from ivr.inspection.rubric import current
    from ivr.inspection.sampling import draw_month
    from ivr.inspection.transcript import detection, suggested_entries
    from ivr.staff.models import User

    rng = random.Random(12333)  # noqa: S311 - benchmark data
    password_hash = generate_password_hash(PASSWORD)
    scripts = sorted(set(ORDINARY) | {"forbidden", "no_greeting", "no_closing"})
    transcripts = {}
    for script_id in scripts:
        rendered = render(SCRIPTS[script_id], tmp / "audio" / f"{script_id}.wav", speech=False)
        transcripts[script_id] = (rendered.transcript, rendered.duration)
    with app.app_context():
        grading = current()
        rubric = grading.rubric
        session = db.session()
        users = [
            User(username=f"insp{i}", role="inspector", password_hash=password_hash)
            for i in range(inspectors)
        ]
        leader = User(username="leader", role="team_leader", password_hash=password_hash)
        session.add_all([*users, leader])
        session.flush()
        start = 1_795_000_000  # 2026-11-18, inside MONTH
        for n in range(agents):
            user = User(username=f"agent{n:04d}", role="agent", password_hash=password_hash)
            session.add(user)
            session.flush()
            agent = Agent(
                user_id=user.id,
                centre="0431" if n % 2 else "0432",
                agent_number=f"{1000 + n}",
                phone=f"sip:{n}@bench.invalid",
            )
            session.add(agent)
            session.flush()
            for c in range(10):
                script_id = scripts[(n + c) % len(scripts)]
                transcript, duration = transcripts[script_id]
                session.add(
                    CallRecording(
                        call_sid=f"CA{n:06d}{c:03d}",
                        agent_id=agent.id,
                        started_at=datetime.fromtimestamp(start + n * 60 + c, UTC),
                        recording_sid=f"RE{n:06d}{c:03d}",
                        download_status="downloaded",
                        audio_path=f"audio/{script_id}.wav",
                        duration=duration,
                        transcript_status="done",
                        transcript=transcript,
                    )
                )
        session.commit()
        zone = app.config["SETTINGS"].timezone
        for user in users:
            draw_month(session, MONTH, user, zone, rubric_id=rubric.id, seed=rng.randrange(10**9))
        session.commit()

        suggestions: dict[str, dict] = {}  # the transcript checks' entries, per script
        samples = list(session.scalars(select(SampledCall).where(SampledCall.month == MONTH)))
        for sample in samples:
            path = sample.recording.audio_path
            if path not in suggestions:
                suggestions[path] = suggested_entries(
                    detection(grading, sample.recording.transcript)
                )
            entries = {
                **form_entries.defaults(rubric.weighted_sections),
                **suggestions[path],
                "accuracy": rng.choice(["all", "all", "from_94_1", "from_90_1", "from_85_1"]),
                "analysis": rng.choice(["complete", "complete", "good", "basic"]),
            }
            sample.entries = entries
            sample.graded_by = sample.inspector_id
            sample.graded_at = datetime.now(UTC)
        agent_ids = sorted({s.agent_id for s in samples})
        for agent_id in agent_ids:
            session.add(
                AgentMonthEntry(
                    month=MONTH,
                    agent_id=agent_id,
                    rubric_id=rubric.id,
                    leader_entries={
                        **form_entries.defaults(rubric.weighted_sections),
                        "accuracy": rng.choice(["all", "from_94_1", "from_90_1"]),
                    },
                    direct_entries={
                        **form_entries.defaults(rubric.direct_sections),
                        "loud_talking": rng.choice([0, 0, 0, 1]),
                        "monthly_summary": rng.choice(["5", "4", "3"]),
                        "valid_complaint": rng.choice([0, 0, 1]),
                        "praise_phone": rng.choice([0, 0, 0, 1]),
                    },
                    evidence="bench",
                    entered_by=leader.id,
                    entered_at=datetime.now(UTC),
                )
            )
        session.flush()
        recompute_many(session, grading, MONTH, agent_ids)
        session.commit()
        return [s.id for s in samples]


def timed(function, repeat: int) -> tuple[float, object]:
    """Median seconds of ``repeat`` runs (after one warm-up run) and the last result."""
    function()
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--inspectors", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--database-url", help="PostgreSQL URL (a scratch schema is used)")
    args = parser.parse_args()

    from ivr import db
    from ivr.app import create_app
    from ivr.inspection.crosscheck import sql_totals
    from ivr.inspection.models import SampledCall
    from ivr.inspection.report import monthly_report
    from ivr.inspection.results import recompute_many
    from ivr.inspection.rubric import current

    with tempfile.TemporaryDirectory(prefix="ivr-bench-report-") as tmp_name:
        tmp = Path(tmp_name)
        with database(args.database_url, tmp) as (url, where):
            app = create_app({"SETTINGS": load_settings(app_environ(url, tmp))})
            app.config["WTF_CSRF_ENABLED"] = False
            print(f"database: {where}")
            started = time.perf_counter()
            sample_ids = seed(app, args.agents, args.inspectors, tmp)
            print(
                f"seeded {args.agents} agents x {args.inspectors} inspectors x 3 calls "
                f"({len(sample_ids)} graded calls, {args.agents} team-leader entries) "
                f"in {time.perf_counter() - started:.1f} s"
            )

            with app.app_context():
                grading = current()

                def report():
                    with app.app_context():
                        return monthly_report(db.session(), grading, MONTH)

                def sql():
                    with app.app_context():
                        return sql_totals(db.session(), grading.rubric, MONTH)

                def rescore():
                    with app.app_context():
                        session = db.session()
                        results = recompute_many(session, grading, MONTH, range(1, args.agents + 1))
                        session.rollback()
                        return results

                report_s, rows = timed(report, args.repeat)
                sql_s, totals = timed(sql, args.repeat)
                rescore_s, _ = timed(rescore, max(3, args.repeat // 5))

            agree = len(rows.rows) == len(totals) == args.agents and all(
                row.result is not None
                and totals[row.agent.id].total == row.result.total_x100
                and totals[row.agent.id].grade == row.result.grade
                and totals[row.agent.id].sections == row.result.sections
                for row in rows.rows
            )
            ratio = report_s / sql_s
            print(
                f"monthly report (stored results, {len(rows.rows)} agents, trend): {report_s * 1000:8.2f} ms"
            )
            print(f"plain SQL aggregate of the same numbers:               {sql_s * 1000:8.2f} ms")
            print(f"ratio report / SQL: {ratio:.2f}x (target <= {RATIO_TARGET:.0f}x)")
            print(f"figures agree for every agent: {'yes' if agree else 'NO'}")
            print(
                f"re-scoring the whole month from the entries (ivr.grading.scoring, "
                f"done once after a rubric change): {rescore_s * 1000:.1f} ms"
            )

            # Log in as the inspector who drew each page's call.
            clients = {}
            with app.app_context():
                owners = {
                    s.id: s.inspector.username
                    for s in db.session().scalars(
                        select(SampledCall).where(SampledCall.id.in_(sample_ids))
                    )
                }
            for username in sorted(set(owners.values())):
                client = app.test_client()
                response = client.post("/login", data={"username": username, "password": PASSWORD})
                assert response.status_code == 302, response.status_code
                clients[username] = client
            picks = random.Random(1).sample(sample_ids, min(args.renders, len(sample_ids)))  # noqa: S311
            clients[owners[picks[0]]].get(f"/inspection/samples/{picks[0]}")  # warm-up
            times = []
            for sample_id in picks:
                started = time.perf_counter()
                response = clients[owners[sample_id]].get(f"/inspection/samples/{sample_id}")
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
            times.sort()
            p50 = statistics.median(times) * 1000
            p95 = times[max(0, round(0.95 * len(times)) - 1)] * 1000
            print(
                f"grading page, {len(times)} renders: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < {P95_TARGET_MS:.0f} ms)"
            )
            with app.app_context():
                db.engine().dispose()
    ok = agree and ratio <= RATIO_TARGET and p95 < P95_TARGET_MS
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
