"""Drawing each inspector's calls per agent and month (spec §4: "每人提取三个电话").

The pool is the agent's downloaded recordings that started in the month (the
centre's time zone) and last at least ``min_seconds``, minus calls already in
another inspector's set. ``random.Random(seed).sample(sorted(pool), size)``
picks the calls; seed and pool are stored, so :func:`replay` shows anyone the
same draw again. The unique ``claim`` column keeps one call out of two sets
even when two inspectors draw at the same moment.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.agents.models import Agent, CallRecording
from ivr.clock import utcnow
from ivr.inspection.models import SampledCall, SampleDraw
from ivr.inspection.months import bounds, parse_month
from ivr.recordings.models import DownloadStatus
from ivr.staff.models import AuditEvent, User

DEFAULT_MIN_SECONDS = 30.0
DEFAULT_SIZE = 3
MIN_REASON = 4  # characters: a redraw needs a reason someone can read later


class SamplingError(ValueError):
    """A draw or redraw that is not allowed (no reason, not an inspector, retired sample)."""


@dataclass(frozen=True)
class Drawn:
    """What :func:`draw_month` did for one agent."""

    agent: Agent
    draw: SampleDraw | None  # None: the inspector already had a set
    existing: int = 0  # active samples the inspector already had

    @property
    def short(self) -> bool:
        return self.draw is not None and len(self.draw.picked) < self.draw.size


def pick(pool: Sequence[int], size: int, seed: int) -> list[int]:
    """The calls a draw takes: reproducible from ``seed`` and ``pool`` alone."""
    ordered = sorted(pool)
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    return rng.sample(ordered, min(size, len(ordered)))


def replay(draw: SampleDraw) -> list[int]:
    """The draw's picks recomputed from its stored seed and pool."""
    return pick(draw.pool, draw.size, draw.seed)


def new_seed() -> int:
    return secrets.randbits(62)


def eligible_ids(
    session: Session, agent_id: int, month: str, zone: tzinfo, min_seconds: float
) -> list[int]:
    """The agent's recorded calls of the month long enough to grade, sorted by id."""
    start, end = bounds(month, zone)
    rows = session.scalars(
        select(CallRecording.id)
        .where(
            CallRecording.agent_id == agent_id,
            CallRecording.started_at >= start,
            CallRecording.started_at < end,
            CallRecording.download_status == DownloadStatus.DOWNLOADED,
            CallRecording.duration >= min_seconds,
        )
        .order_by(CallRecording.id)
    )
    return list(rows)


def claimed_ids(session: Session, recording_ids: Iterable[int]) -> set[int]:
    """Which of ``recording_ids`` are in someone's active set."""
    ids = list(recording_ids)
    if not ids:
        return set()
    return set(session.scalars(select(SampledCall.claim).where(SampledCall.claim.in_(ids))))


def active_samples(
    session: Session, month: str, *, inspector_id: int | None = None, agent_id: int | None = None
) -> list[SampledCall]:
    query = select(SampledCall).where(SampledCall.month == month, SampledCall.claim.is_not(None))
    if inspector_id is not None:
        query = query.where(SampledCall.inspector_id == inspector_id)
    if agent_id is not None:
        query = query.where(SampledCall.agent_id == agent_id)
    return list(
        session.scalars(
            query.order_by(SampledCall.agent_id, SampledCall.inspector_id, SampledCall.slot)
        )
    )


def draw_month(
    session: Session,
    month: str,
    inspector: User,
    zone: tzinfo,
    *,
    rubric_id: str,
    agents: Sequence[Agent] | None = None,
    size: int = DEFAULT_SIZE,
    min_seconds: float = DEFAULT_MIN_SECONDS,
    seed: int | None = None,
    actor_id: int | None = None,
) -> list[Drawn]:
    """Draw ``inspector``'s set for every agent (or ``agents``) that has none yet this month.

    ``seed`` fixes every agent's draw (each gets ``seed`` + agent id); by
    default each draw gets a fresh random seed. Adds the rows and one audit
    event per draw; the caller commits (an IntegrityError then means another
    inspector claimed a call at the same moment: roll back and draw again).
    """
    parse_month(month)
    if inspector.role != "inspector":
        raise SamplingError(f"{inspector.username} is not an inspector")
    if size < 1:
        raise SamplingError("draw at least one call per agent")
    if agents is None:
        agents = list(session.scalars(select(Agent).order_by(Agent.id)))
    mine: dict[int, int] = {}
    for sample in active_samples(session, month, inspector_id=inspector.id):
        mine[sample.agent_id] = mine.get(sample.agent_id, 0) + 1
    done: list[Drawn] = []
    for agent in agents:
        if agent.id in mine:
            done.append(Drawn(agent, None, mine[agent.id]))
            continue
        agent_seed = new_seed() if seed is None else seed + agent.id
        made = _draw(
            session,
            month,
            inspector,
            agent,
            zone,
            rubric_id=rubric_id,
            size=size,
            slots=list(range(1, size + 1)),
            min_seconds=min_seconds,
            seed=agent_seed,
            exclude=set(),
            actor_id=actor_id,
        )
        done.append(Drawn(agent, made))
    return done


def redraw(
    session: Session,
    samples: Sequence[SampledCall],
    reason: str,
    zone: tzinfo,
    *,
    actor_id: int | None,
    seed: int | None = None,
) -> SampleDraw:
    """Retire ``samples`` (one inspector's, one agent and month) and draw replacements.

    The replacements come from the pool without the retired calls and without
    calls in anyone's active set; they take the retired samples' slots. A
    written ``reason`` is required and kept on the new draw and in the audit.
    """
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise SamplingError("重抽需要写明原因 A redraw needs a written reason")
    if not samples:
        raise SamplingError("nothing to redraw")
    first = samples[0]
    if any(
        (s.month, s.inspector_id, s.agent_id) != (first.month, first.inspector_id, first.agent_id)
        for s in samples
    ):
        raise SamplingError("redraw one inspector's calls of one agent and month at a time")
    if any(not s.active for s in samples):
        raise SamplingError("a retired sample cannot be redrawn")
    # Calls this inspector already rejected for this agent and month stay out.
    rejected = set(
        session.scalars(
            select(SampledCall.recording_id).where(
                SampledCall.month == first.month,
                SampledCall.inspector_id == first.inspector_id,
                SampledCall.agent_id == first.agent_id,
            )
        )
    )
    now = utcnow()
    for sample in samples:
        sample.claim = None
        sample.retired_at = now
        sample.retired_by = actor_id
    session.flush()
    made = _draw(
        session,
        first.month,
        first.inspector,
        first.agent,
        zone,
        rubric_id=first.draw.rubric_id,
        size=len(samples),
        slots=sorted(s.slot for s in samples),
        min_seconds=first.draw.min_seconds,
        seed=new_seed() if seed is None else seed,
        exclude=rejected,
        actor_id=actor_id,
        reason=reason,
        replaces=[s.id for s in samples],
    )
    return made


def _draw(
    session: Session,
    month: str,
    inspector: User,
    agent: Agent,
    zone: tzinfo,
    *,
    rubric_id: str,
    size: int,
    slots: list[int],
    min_seconds: float,
    seed: int,
    exclude: set[int],
    actor_id: int | None,
    reason: str = "",
    replaces: list[int] | None = None,
) -> SampleDraw:
    eligible = eligible_ids(session, agent.id, month, zone, min_seconds)
    taken = claimed_ids(session, eligible)
    pool = [rid for rid in eligible if rid not in taken and rid not in exclude]
    picked = pick(pool, size, seed)
    made = SampleDraw(
        month=month,
        rubric_id=rubric_id,
        inspector_id=inspector.id,
        agent_id=agent.id,
        seed=seed,
        pool=pool,
        size=size,
        picked=picked,
        min_seconds=min_seconds,
        reason=reason,
        replaces=replaces or [],
        created_by=actor_id,
    )
    session.add(made)
    session.flush()
    for slot, recording_id in zip(slots, picked, strict=False):
        session.add(
            SampledCall(
                draw_id=made.id,
                month=month,
                inspector_id=inspector.id,
                agent_id=agent.id,
                recording_id=recording_id,
                slot=slot,
                claim=recording_id,
            )
        )
    session.add(
        AuditEvent(
            user_id=actor_id,
            action="redraw" if replaces else "draw",
            object_type="inspection_draw",
            object_id=str(made.id),
            detail={
                "month": month,
                "inspector": inspector.username,
                "agent": agent.agent_number,
                "seed": seed,
                "pool": len(pool),
                "picked": picked,
                "min_seconds": min_seconds,
                **({"reason": reason, "replaces": replaces} if replaces else {}),
            },
        )
    )
    session.flush()
    return made
