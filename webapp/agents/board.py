"""What the dashboards show: per centre, its agents' statuses and its waiting callers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ivr.agents.models import Agent
from ivr.agents.presence import AgentState, QueueState, presence
from ivr.calls.models import Call


@dataclass
class CentreBoard:
    code: str
    name: str
    agents: list[tuple[Agent, AgentState]] = field(default_factory=list)
    queue: QueueState = field(default_factory=QueueState)
    callers: dict[str, str] = field(default_factory=dict)  # CallSid -> caller's number

    def waiting(self) -> list[tuple[int, str, datetime]]:
        """The first waiting callers: (position, caller's number if known, joined)."""
        return [
            (position, self.callers.get(sid, ""), joined)
            for position, (sid, joined) in enumerate(self.queue.first, start=1)
        ]

    @property
    def counts(self) -> Counter[str]:
        return Counter(state.status for _, state in self.agents)


def centre_names() -> dict[str, str]:
    directory = current_app.extensions["ivr.flows"].directory
    names = {"provincial": directory.provincial.name("zh-CN")}
    names.update({code: centre.name("zh-CN") for code, centre in directory.centres.items()})
    return names


def boards(session: Session, now: datetime) -> list[CentreBoard]:
    """Every centre of the directory (and any other an agent belongs to), in directory order.

    Raises PresenceUnavailable when Redis or the database cannot be read.
    """
    names = centre_names()
    agents = session.scalars(
        select(Agent).options(selectinload(Agent.user)).order_by(Agent.agent_number)
    ).all()
    for agent in agents:
        names.setdefault(agent.centre, agent.centre)
    backend = presence()
    states = backend.states(agents)
    queues = backend.queues(names, now=now)
    sids = [sid for queue in queues.values() for sid, _ in queue.first]
    query = select(Call.sid, Call.from_number).where(Call.sid.in_(sids))
    callers = {sid: number for sid, number in session.execute(query)}
    result = {
        code: CentreBoard(code, name, queue=queues[code], callers=callers)
        for code, name in names.items()
    }
    for agent in agents:
        result[agent.centre].agents.append((agent, states[agent.id]))
    return list(result.values())
