"""Real call distribution (ACD): which agent gets a call, and who waits.

A centre's call goes to its longest-idle available agent. With none free the
caller waits in the centre's Twilio queue; each request of the queue's wait
URL tries to claim an agent, and callers ahead in the queue go first (a caller
claims only while their position is within the number of free agents, and a
new caller claims at once only while nobody is waiting). A backend failure
never breaks the call: it is logged and the caller waits (or overflows).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from ivr.agents.presence import Claim, Presence, PresenceUnavailable, presence
from ivr.calls.events import Event, Job
from ivr.calls.models import Call
from ivr.calls.store import FINAL

log = logging.getLogger("ivr.agents")
T = TypeVar("T")
EVENT_KINDS = frozenset({"status"})  # a final status frees the call's agent


def _safely(action: str, work: Callable[[], T], default: T) -> T:
    try:
        return work()
    except PresenceUnavailable as exc:
        log.error("agent presence unavailable (%s): %s", action, exc)
        return default


def claim_now(backend: Presence, centre: str, call_sid: str) -> Claim | None:
    """A new caller: an agent at once, unless others are already waiting for one."""

    def work() -> Claim | None:
        waiting = backend.queues([centre])[centre].waiting
        if backend.available(centre) <= waiting:
            return None
        return backend.claim(centre, call_sid)

    return _safely("claim", work, None)


def claim_waiting(backend: Presence, centre: str, call_sid: str, position: int) -> Claim | None:
    """A waiting caller (wait URL): claim only when the callers ahead are served."""

    def work() -> Claim | None:
        held = backend.claimed(call_sid)
        if held is not None:
            return held
        if position > backend.available(centre):
            return None
        return backend.claim(centre, call_sid)

    return _safely("claim", work, None)


def claimed(backend: Presence, call_sid: str) -> Claim | None:
    return _safely("claimed", lambda: backend.claimed(call_sid), None)


def release(backend: Presence, call_sid: str) -> int | None:
    """The call no longer needs its agent (Dial ended, caller left): idempotent."""
    return _safely("release", lambda: backend.release(call_sid), None)


def join_queue(backend: Presence, centre: str, call_sid: str) -> None:
    _safely("join queue", lambda: backend.join_queue(centre, call_sid), None)


def leave_queue(backend: Presence, call_sid: str) -> None:
    _safely("leave queue", lambda: backend.leave_queue(call_sid), None)


def apply_events(db: Session, call: Call, events: list[Event]) -> list[Job]:
    """Webhook effects: when a call ends, free its agent and drop it from any queue.

    The Dial and Enqueue actions do this already; the final status callback
    is the safety net for a lost action (so no agent stays "busy" forever).
    """
    if any(e.kind == "status" and e.detail.get("status") in FINAL for e in events):
        _call_ended(call.sid)
    return []


def _call_ended(call_sid: str) -> None:
    backend = presence()
    # Inside the webhook's save(): the database backend leaves the commit to it.
    options = {"commit": False} if backend.name == "database" else {}
    released = _safely("release", lambda: backend.release(call_sid, **options), None)
    _safely("leave queue", lambda: backend.leave_queue(call_sid, **options), None)
    if released is not None:
        log.info("call ended: agent %s is free again", released)
