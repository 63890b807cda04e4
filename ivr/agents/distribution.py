"""Real call distribution (ACD): which agent gets a call, and who waits.

A centre's call goes to its longest-idle available agent. With none free the
caller waits: in the centre's Twilio queue, whose wait URL is requested round
after round, or (a platform without ``<Enqueue>``, Somleng) in our own line,
held by a ``<Redirect>`` loop. Each round tries to claim an agent, and callers
ahead in the line go first (a caller claims only while their position is
within the number of free agents, and a new caller claims at once only while
nobody is waiting). A backend failure never breaks the call: it is logged and
the caller waits (or overflows).

Every waiting call is in the backend's line (``join_queue``) in both cases:
the dashboards count it, and without Twilio's queue it is also where the
caller's position and wait come from (``place``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from ivr.agents.presence import Claim, Presence, PresenceUnavailable, QueuePlace, presence
from ivr.calls.events import Event, Job
from ivr.calls.models import Call
from ivr.calls.store import FINAL, add_event
from ivr.clock import utcnow

log = logging.getLogger("ivr.agents")
T = TypeVar("T")
# A final status frees the call's agent. A call joining a line is written at once
# (not journaled): the dashboards list waiting callers by their number.
EVENT_KINDS = frozenset({"status", "enqueue"})


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


def claim_in_line(backend: Presence, centre: str, call_sid: str, position: int) -> Claim | None:
    """A caller held in our own line: claim in turn, and take the call out of the line.

    The final status callback takes a caller who hangs up out of the line, then
    releases what the call holds. A round already under way when that happens
    may claim an agent after the release; it then finds the call gone from the
    line and releases the agent itself, so nothing stays claimed for a caller
    who is gone.
    """
    claim = claim_waiting(backend, centre, call_sid, position)
    if claim is None:
        return None
    if not _safely("leave queue", lambda: backend.leave_queue(call_sid), True):
        release(backend, call_sid)
        log.info("call %s left the line while an agent was claimed: released", call_sid)
        return None
    return claim


def place(backend: Presence, call_sid: str, now: datetime) -> QueuePlace | None:
    """The call's place in our own line; None when it is not there or cannot be read."""
    return _safely("place", lambda: backend.place(call_sid, now), None)


def join_queue(backend: Presence, centre: str, call_sid: str, now: datetime | None = None) -> None:
    _safely("join queue", lambda: backend.join_queue(centre, call_sid, now), None)


def leave_queue(backend: Presence, call_sid: str) -> bool:
    """Take the call out of its line: True when it was still there (or the line cannot be
    read: the caller is counted as having left it now)."""
    return _safely("leave queue", lambda: backend.leave_queue(call_sid), True)


def apply_events(db: Session, call: Call, events: list[Event]) -> list[Job]:
    """Webhook effects: when a call ends, drop it from any queue and free its agent.

    The Dial and Enqueue actions do this already; the final status callback
    is the safety net for a lost action (so no agent stays "busy" forever),
    and for a caller held in our own line it is how a hang-up is noticed.
    """
    if any(e.kind == "status" and e.detail.get("status") in FINAL for e in events):
        _call_ended(db, call)
    return []


def _call_ended(db: Session, call: Call) -> None:
    """Free what the call holds; a caller still in line hung up there: say so, with the wait."""
    backend, call_sid, now = presence(), call.sid, utcnow()
    # Inside the webhook's save(): the database backend leaves the commit to it.
    options = {"commit": False} if backend.name == "database" else {}
    waiting = _safely("place", lambda: backend.place(call_sid, now), None)
    # Out of the line first, then release: see claim_in_line for why this order.
    if _safely("leave queue", lambda: backend.leave_queue(call_sid, **options), False) and waiting:
        detail = {"outcome": "hung-up", "waited": waiting.waited(now), "centre": waiting.centre}
        add_event(db, call.id, "ended:queue-left", Event("queue-left", detail=detail), now)
    released = _safely("release", lambda: backend.release(call_sid, **options), None)
    if released is not None:
        log.info("call ended: agent %s is free again", released)
