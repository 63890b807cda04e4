"""``ivr inspection demo``: agents, recorded calls, inspectors, a team leader, graded history.

The agents are those of CENTRES (``ivr inspection demo`` runs ``ivr agents
demo`` first), or eight of our own when there are none. Idempotent: users,
agents, calls, draws and grades are found again by their names, numbers and
recording SIDs. Demo users are created once, with the password printed
then: a later run never changes a password, even one changed since. The chosen month is left drawn but not graded by the first
inspector, so someone can log in and grade at once. Every random choice is
seeded, so two runs make the same data.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.agents.models import Agent, CallRecording
from ivr.grading import Rubric
from ivr.inspection import entries as form_entries
from ivr.inspection import transcript as tx
from ivr.inspection.demo_audio import render
from ivr.inspection.demo_script import FLAWED, ORDINARY, SCRIPTS, SHORT
from ivr.inspection.models import AgentMonthEntry, SampledCall
from ivr.inspection.months import bounds, recent
from ivr.inspection.rubric import Grading, load
from ivr.inspection.sampling import active_samples, draw_month, eligible_ids, pick
from ivr.inspection.store import save_grade, save_month_entries
from ivr.recordings.models import DownloadStatus, TranscriptStatus
from ivr.settings import Settings
from ivr.staff.auth import find_user, password_problem
from ivr.staff.models import User

HISTORY = 3  # graded months before the demo month, for the trend
# Agents of these centres take part (those `ivr agents demo` made, when it ran first).
CENTRES = ("0431", "0432", "provincial")
SKILLS = (1, 0, 2, 3, 0, 2, 1, 3)  # by agent, in turn: 0 best .. 3 weakest
INSPECTORS = (("zhijian1", "李娜"), ("zhijian2", "陈静"))
LEADER = ("banzhang", "王强")
# Our own agents when no others exist: agent number, centre, name.
AGENTS = (
    ("1001", "0431", "王芳"),
    ("1002", "0431", "刘洋"),
    ("1003", "0431", "张敏"),
    ("1004", "0431", "赵磊"),
    ("1005", "0431", "孙丽"),
    ("1006", "0431", "周杰"),
    ("2001", "0432", "吴婷"),
    ("2002", "0432", "郑浩"),
)
# The first agent's calls in the demo month: one of every kind worth grading.
SHOWCASE = ("forbidden", "no_greeting", "medical_hold", "pension", "contract", "card", "no_closing")
SEED = 12333


def make_demo(
    session: Session,
    settings: Settings,
    month: str,
    *,
    password: str | None = None,
    speech: bool = True,
    echo: Callable[[str], None] = print,
) -> str:
    """Create (or complete) the demo data and return what to tell the user."""
    password = password or secrets.token_urlsafe(9)
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    grading = load(settings.flows_dir)
    inspectors = [
        _user(session, name, "inspector", display, password) for name, display in INSPECTORS
    ]
    leader = _user(session, LEADER[0], "team_leader", LEADER[1], password)
    agents = _agents(session, password)  # only agents made now get the password
    skills = {agent.id: SKILLS[index % len(SKILLS)] for index, agent in enumerate(agents)}
    session.commit()

    audio = _audio(settings.recordings_dir, speech, echo)
    all_months = recent(month, HISTORY + 1)
    made = 0
    for m in all_months:
        for index, agent in enumerate(agents):
            made += _calls(session, settings, m, agent, index, audio, showcase=m == month)
    session.commit()
    echo(f"recorded calls: {made} new")

    zone = settings.timezone
    size = grading.rubric.weighted_sections[0].calls_per_inspector or 3
    for m in all_months:
        if m == month:
            _showcase_draw(session, grading, m, inspectors[0], agents[0], zone, size)
        for inspector in inspectors:
            draw_month(
                session,
                m,
                inspector,
                zone,
                rubric_id=grading.rubric.id,
                agents=agents,
                size=size,
                seed=SEED + int(m.replace("-", "")),
            )
        session.commit()
        graders = inspectors if m != month else inspectors[1:]
        for inspector in graders:
            for sample in active_samples(session, m, inspector_id=inspector.id):
                if not sample.graded:
                    entries = _call_entries(grading, sample, skills[sample.agent_id])
                    save_grade(session, grading, sample, entries, actor_id=inspector.id)
        leader_agents = agents if m != month else agents[: len(agents) // 2]
        for agent in leader_agents:
            _leader_entries(session, grading, m, agent, skills[agent.id], leader)
        session.commit()

    speech_used = any(a["speech"] for a in audio.values())
    lines = [
        f"Demo data: month {month} drawn and ready to grade; "
        f"{', '.join(all_months[:-1])} graded (the trend).",
        f"{len(agents)} agents in centres {', '.join(sorted({a.centre for a in agents}))}; "
        "calls use "
        + (
            "synthetic speech by espeak-ng (demo audio)."
            if speech_used
            else "tone bursts standing in for speech (demo audio)."
        ),
        f"Log in at {settings.public_url}/login as one of these (or as an agent of centres "
        f"{', '.join(sorted({a.centre for a in agents}))} created with them):",
        f"  {inspectors[0].username:<10} inspector    {inspectors[0].display_name}, "
        f"{_login(inspectors[0], password)}: "
        f"grade your calls: {settings.public_url}/inspection/{month}/samples",
        f"  {inspectors[1].username:<10} inspector    {inspectors[1].display_name}, "
        f"{_login(inspectors[1], password)}: has graded {month} already",
        f"  {leader.username:<10} team leader  {leader.display_name}, "
        f"{_login(leader, password)}: "
        f"entries and the report: {settings.public_url}/inspection/{month}/report",
        f"  {agents[0].user.username:<10} agent        {agents[0].user.display_name}, "
        f"{_login(agents[0].user, password)}: "
        f"own results only: {settings.public_url}/inspection/me",
        "Demo users are created once: running the demo again changes no password (the "
        "first run printed it; scripts/serve keeps it in instance/demo.log; "
        "`ivr users set-password USERNAME` sets one).",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- people


def _login(user: User, password: str) -> str:
    """How the user logs in: with the password printed, or (an older user) its own."""
    return f"password {password}" if user.check_password(password) else "its own password (kept)"


def _user(session: Session, username: str, role: str, display: str, password: str) -> User:
    """The demo user, created with ``password`` if missing; an existing one is left as it is."""
    user = find_user(session, username)
    if user is None:
        user = User(username=username, role=role, display_name=display)
        user.set_password(password)
        session.add(user)
        session.flush()
    return user


def _agents(session: Session, password: str) -> list[Agent]:
    """The agents of CENTRES (e.g. from `ivr agents demo`), else ours, created with ``password``."""
    agents = list(
        session.scalars(
            select(Agent)
            .where(Agent.centre.in_(CENTRES))
            .order_by(Agent.centre, Agent.agent_number)
        )
    )
    if len(agents) < 4:
        agents = [_agent(session, *spec, password) for spec in AGENTS]
    return agents


def _agent(session: Session, number: str, centre: str, name: str, password: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.agent_number == number))
    if agent is not None:
        return agent
    user = _user(session, f"agent{number}", "agent", name, password)
    agent = Agent(
        user_id=user.id,
        centre=centre,
        agent_number=number,
        phone=f"sip:agent{number}@demo.invalid",
    )
    session.add(agent)
    session.flush()
    return agent


# --------------------------------------------------------------------------- calls


def _audio(recordings_dir: Path, speech: bool, echo: Callable[[str], None]) -> dict[str, Any]:
    """Every script rendered once: path (relative), sha256, duration, transcript."""
    out: dict[str, Any] = {}
    kind = "speech" if speech else "tones"
    for script in SCRIPTS.values():
        relative = f"agent-call/demo/{script.id}-{kind}.wav"
        wav = recordings_dir / relative
        meta = wav.with_suffix(".json")
        if wav.is_file() and meta.is_file():
            info = json.loads(meta.read_text(encoding="utf-8"))
        else:
            rendered = render(script, wav, speech=speech)
            info = {
                "duration": rendered.duration,
                "speech": rendered.speech,
                "transcript": rendered.transcript,
            }
            meta.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
            echo(f"rendered {relative} ({rendered.duration:.0f} s)")
        info["path"] = relative
        info["sha256"] = hashlib.sha256(wav.read_bytes()).hexdigest()
        out[script.id] = info
    return out


def _calls(
    session: Session,
    settings: Settings,
    month: str,
    agent: Agent,
    index: int,
    audio: dict[str, Any],
    *,
    showcase: bool,
) -> int:
    """The agent's recorded calls of the month; returns how many were new."""
    rng = random.Random(f"{month}:{agent.agent_number}")  # noqa: S311 - demo data
    if showcase and index == 0:
        scripts = list(SHOWCASE)
    else:
        scripts = [rng.choice(ORDINARY) for _ in range(6)] + [FLAWED[(index + int(month[-2:])) % 3]]
    scripts += list(SHORT)
    start, end = bounds(month, settings.timezone)
    end = min(end, datetime.now(UTC))
    days = max(1, (end - start).days)
    made = 0
    for number, script_id in enumerate(scripts):
        sid = (
            "RE"
            + hashlib.sha256(f"demo:{month}:{agent.agent_number}:{number}".encode()).hexdigest()[
                :32
            ]
        )
        if session.scalar(select(CallRecording.id).where(CallRecording.recording_sid == sid)):
            continue
        info = audio[script_id]
        local_day = rng.randrange(days)
        started = start + timedelta(days=local_day, hours=rng.uniform(8.5, 16.5))
        started = max(start, min(started, end - timedelta(minutes=5)))
        session.add(
            CallRecording(
                call_sid="CA" + sid[2:],
                agent_id=agent.id,
                caller=f"+86{rng.choice(['138', '139', '150', '186'])}0431{rng.randrange(10000):04d}",
                started_at=started,
                created_at=started,
                recording_sid=sid,
                media_url="",
                download_status=DownloadStatus.DOWNLOADED,
                audio_path=info["path"],
                sha256=info["sha256"],
                duration=info["duration"],
                locale="zh-CN",
                transcript_status=TranscriptStatus.DONE,
                transcript_text=info["transcript"]["text"],
                transcript=info["transcript"],
                transcript_model=info["transcript"]["model"],
                transcribed_at=started,
            )
        )
        made += 1
    session.flush()
    return made


# --------------------------------------------------------------------------- draws and grades


def _showcase_draw(
    session: Session,
    grading: Grading,
    month: str,
    inspector: User,
    agent: Agent,
    zone: Any,
    size: int,
) -> None:
    """Pick a seed whose draw gives the first inspector the forbidden-phrase call to grade."""
    if active_samples(session, month, inspector_id=inspector.id, agent_id=agent.id):
        return
    pool = eligible_ids(session, agent.id, month, zone, 30.0)
    wanted = {
        r.id
        for r in session.scalars(select(CallRecording).where(CallRecording.id.in_(pool)))
        if r.audio_path.startswith("agent-call/demo/forbidden")
    }
    seed = next((s for s in range(SEED, SEED + 500) if wanted & set(pick(pool, size, s))), SEED)
    draw_month(
        session,
        month,
        inspector,
        zone,
        rubric_id=grading.rubric.id,
        agents=[agent],
        size=size,
        seed=seed - agent.id,
    )


def _call_entries(grading: Grading, sample: SampledCall, skill: int) -> dict[str, Any]:
    """What a careful inspector might enter: the transcript's suggestions, and a judgement."""
    rubric = grading.rubric
    entries: dict[str, Any] = form_entries.defaults(rubric.weighted_sections)
    report = tx.detection(grading, sample.recording.transcript or {})
    entries.update(tx.suggested_entries(report))
    rng = random.Random(f"{sample.month}:{sample.recording_id}:{sample.inspector_id}")  # noqa: S311
    worse = skill * 0.15
    entries["accuracy"] = _level(rng, ("all", "from_94_1", "from_90_1", "from_85_1"), worse)
    entries["analysis"] = _level(rng, ("complete", "good", "basic", "confused"), worse)
    entries["language"] = _level(rng, ("concise", "clear", "verbose", "illogical"), worse)
    for item_id in (
        "answer_speed",
        "call_summary",
        "database_every_question",
        "mandarin",
        "typing",
    ):
        if rng.random() < 0.04 + worse / 2:
            entries[item_id] = True
    return entries


def _level(rng: random.Random, levels: tuple[str, ...], worse: float) -> str:
    roll = rng.random()
    for level, share in zip(levels, (0.55 - worse, 0.3, 0.12 + worse / 2), strict=False):
        if roll < share:
            return level
        roll -= share
    return levels[-1] if rng.random() < worse else levels[1]


def _leader_entries(
    session: Session, grading: Grading, month: str, agent: Agent, skill: int, leader: User
) -> None:
    if session.scalar(
        select(AgentMonthEntry.id).where(
            AgentMonthEntry.month == month, AgentMonthEntry.agent_id == agent.id
        )
    ):
        return
    rubric: Rubric = grading.rubric
    rng = random.Random(f"leader:{month}:{agent.agent_number}")  # noqa: S311 - demo data
    worse = skill * 0.15
    leader_entries: dict[str, Any] = form_entries.defaults(rubric.weighted_sections)
    leader_entries["accuracy"] = _level(rng, ("all", "from_94_1", "from_90_1", "from_85_1"), worse)
    leader_entries["analysis"] = _level(rng, ("complete", "good", "basic", "confused"), worse)
    leader_entries["language"] = _level(rng, ("concise", "clear", "verbose", "illogical"), worse)
    if rng.random() < 0.2 + worse:
        leader_entries["database_quick"] = True
    direct: dict[str, Any] = form_entries.defaults(rubric.direct_sections)
    direct["loud_talking"] = int(rng.random() < 0.1 + worse) + int(rng.random() < worse)
    direct["phone_not_off"] = int(rng.random() < 0.15 + worse)
    direct["messy_desk"] = int(rng.random() < 0.1 + worse)
    direct["leaving_post"] = int(rng.random() < worse) + int(rng.random() < worse)
    direct["monthly_summary"] = str(rng.choice((5, 5, 4, 4, 3) if skill < 2 else (4, 3, 3, 2)))
    direct["training"] = str(rng.choice((5, 5, 4) if skill < 2 else (4, 3, 3)))
    direct["valid_complaint"] = int(rng.random() < worse * 1.5) + int(rng.random() < worse)
    evidence = ""
    if skill == 0 and rng.random() < 0.7:
        direct["praise_phone"] = 1
        evidence = (
            f"{month}-12 来电表扬，录音已核实。 Praise by phone, confirmed from the recording."
        )
    if rng.random() < 0.15:
        direct["adopted_suggestion"] = 1
        evidence += "\n关于排班表的建议已采纳。 Suggestion on the rota adopted."
    save_month_entries(
        session,
        grading,
        month,
        agent.id,
        leader=leader_entries,
        direct=direct,
        evidence=evidence.strip(),
        actor_id=leader.id,
    )
