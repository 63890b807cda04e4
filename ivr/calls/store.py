"""Idempotent writes of calls and their steps (Twilio retries webhooks)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ivr.calls.models import Call, CallEvent, utcnow
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


def _insert(db: Session, table):
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect (PostgreSQL or SQLite)."""
    dialect = db.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def ensure_call(db: Session, sid: str, **fields: str) -> int:
    """The call's id, creating its row if this is the first request we see of it."""
    query = select(Call.id).where(Call.sid == sid)
    call_id = db.scalar(query)
    if call_id is None:  # a concurrent first request may insert it too: that is fine
        db.execute(_insert(db, Call.__table__).values(sid=sid, **fields).on_conflict_do_nothing())
        call_id = db.scalar(query)
    return call_id


def record_events(db: Session, call_id: int, request_key: str, events: list[Event]) -> bool:
    """Store one request's events; False (and nothing written) if it was seen before.

    A retried request has the same keys, so its first row conflicts and nothing
    more is written. No savepoint and cached statements: this is on every
    webhook's path.
    """
    now = utcnow()
    rows = [
        {
            "call_id": call_id,
            "key": f"{request_key}:{index}",
            "kind": event.kind,
            "node": event.node,
            "digits": event.digits[:40],
            "detail": event.detail,
            "created_at": now,
        }
        for index, event in enumerate(events or [Event("request")])
    ]
    table = CallEvent.__table__
    insert = _insert(db, table).on_conflict_do_nothing()  # compiled once, then cached
    if db.execute(insert.returning(table.c.id), rows[0]).first() is None:
        return False  # seen before: its rows are there already
    if rows[1:]:
        db.execute(insert, rows[1:])
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
