"""Agents' status and the callers waiting for them: one interface, two backends.

Redis (``REDIS_URL`` set) is shared by every web process on every host; the
database backend serves the embedded single-machine default. Both claim an
agent atomically, so two simultaneous calls never get the same agent, and
both release idempotently, so a retried Dial action frees the agent once.

Statuses: ``available`` (waiting for a call; ``since`` = idle-since, which
decides who gets the next call), ``busy`` (on a call, held by its CallSid),
``paused`` (示忙) and ``offline``. Only the system makes an agent busy; a
status the agent picks while busy is kept in ``after`` and applied when the
call ends, unless ``force`` (a team leader clearing a stuck agent).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from flask import current_app

if TYPE_CHECKING:
    from ivr.agents.models import Agent

STATUSES = ("available", "busy", "paused", "offline")
SETTABLE = ("available", "paused", "offline")
STATUS_WORDS = {
    "available": "空闲 Available",
    "busy": "通话中 Busy",
    "paused": "示忙 Paused",
    "offline": "离线 Offline",
}
# Queue entries older than this are leftovers of lost callbacks, not callers.
MAX_QUEUE_AGE = timedelta(hours=2)
# Waiting callers listed one by one on the dashboards (the rest are counted).
SHOWN = 20
# How long a claim or a queue entry is remembered without its call ending.
CLAIM_TTL = timedelta(hours=6)


class PresenceUnavailable(RuntimeError):
    """The backend (Redis or the database) could not be reached."""


@dataclass(frozen=True)
class Claim:
    """The agent a call holds: whom to dial."""

    agent_id: int
    agent_number: str
    phone: str


@dataclass(frozen=True)
class AgentState:
    agent_id: int
    status: str = "offline"
    since: datetime | None = None
    call_sid: str = ""
    after: str = ""  # the status asked for while busy


@dataclass(frozen=True)
class QueueState:
    waiting: int = 0
    oldest: datetime | None = None  # when the longest-waiting caller joined
    first: tuple[tuple[str, datetime], ...] = ()  # (CallSid, joined) of the first SHOWN, in order

    def longest_wait(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest else 0.0


@dataclass(frozen=True)
class QueuePlace:
    """Where a waiting call stands in its centre's line (callers who joined earlier go first)."""

    centre: str
    position: int  # from 1
    joined: datetime

    def waited(self, now: datetime) -> int:
        return max(0, int((now - self.joined).total_seconds()))


class Presence(Protocol):
    name: str

    def set_status(
        self, agent: Agent, status: str, *, force: bool = False, now: datetime | None = None
    ) -> AgentState: ...

    def states(self, agents: Sequence[Agent]) -> dict[int, AgentState]: ...

    def available(self, centre: str) -> int: ...

    def claim(self, centre: str, call_sid: str, now: datetime | None = None) -> Claim | None: ...

    def claimed(self, call_sid: str) -> Claim | None: ...

    def release(self, call_sid: str, now: datetime | None = None) -> int | None: ...

    def join_queue(self, centre: str, call_sid: str, now: datetime | None = None) -> None: ...

    def leave_queue(self, call_sid: str) -> bool:
        """Drop the call from its line; True when it was still waiting there."""
        ...

    def place(self, call_sid: str, now: datetime | None = None) -> QueuePlace | None:
        """The call's place in line, None when it is not waiting (left, hung up, expired)."""
        ...

    def queues(
        self, centres: Iterable[str], now: datetime | None = None
    ) -> dict[str, QueueState]: ...


def check_status(status: str) -> str:
    if status not in SETTABLE:
        raise ValueError(f"status must be one of {', '.join(SETTABLE)}, not {status!r}")
    return status


def presence() -> Presence:
    """This app's backend: Redis when REDIS_URL is set, else the database."""
    extensions = current_app.extensions
    backend = extensions.get("ivr.presence")
    if backend is None:
        url = current_app.config["SETTINGS"].redis_url
        if url:
            from ivr.agents.redis_presence import RedisPresence

            backend = RedisPresence(url)
        else:
            from ivr.agents.db_presence import DatabasePresence

            backend = DatabasePresence()
        backend = extensions.setdefault("ivr.presence", backend)
    return backend
