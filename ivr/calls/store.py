"""Idempotent writes of calls and their steps (Twilio retries webhooks)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.calls.models import Call, CallEvent
from ivr.flows.turn import Event

# Call progress only moves forward: a late "ringing" never overwrites "completed".
STATUS_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "completed": 4,
    "busy": 4,
    "failed": 4,
    "no-answer": 4,
    "canceled": 4,
}
FINAL = {s for s, rank in STATUS_RANK.items() if rank == 4}


def get_or_create_call(db: Session, sid: str, **fields: str) -> Call:
    call = db.scalar(select(Call).where(Call.sid == sid))
    if call is not None:
        return call
    try:
        with db.begin_nested():
            call = Call(sid=sid, **fields)
            db.add(call)
    except IntegrityError:  # another worker created it a moment ago
        call = db.scalars(select(Call).where(Call.sid == sid)).one()
    return call


def record_events(db: Session, call: Call, request_key: str, events: list[Event]) -> bool:
    """Store one request's events; False (and nothing written) if it was seen before."""
    first = f"{request_key}:0"
    seen = db.scalar(
        select(CallEvent.id).where(CallEvent.call_id == call.id, CallEvent.key == first)
    )
    if seen is not None:
        return False
    try:
        with db.begin_nested():
            db.add_all(
                CallEvent(
                    call_id=call.id,
                    key=f"{request_key}:{index}",
                    kind=event.kind,
                    node=event.node,
                    digits=event.digits[:40],
                    detail=event.detail,
                )
                for index, event in enumerate(events or [Event("request")])
            )
    except IntegrityError:  # a concurrent retry of the same request won the race
        return False
    return True


def apply_status(call: Call, status: str, duration: str | None) -> bool:
    """Move the call's status forward; out-of-order callbacks are ignored."""
    if status not in STATUS_RANK:
        return False
    if STATUS_RANK[status] < STATUS_RANK.get(call.status, 0) or call.status in FINAL:
        return False
    call.status = status
    if status in FINAL:
        call.ended_at = call.ended_at or datetime.now(UTC)
        if duration and duration.isdigit() and len(duration) <= 9:  # seconds, fits an INTEGER
            call.duration = int(duration)
    return True
