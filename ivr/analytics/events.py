"""Events the statistics need that one request alone does not say: the call's end."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ivr.calls.events import Event, Job
from ivr.calls.models import Call
from ivr.calls.store import FINAL, add_event
from ivr.clock import utcnow

END_KINDS = frozenset({"status"})


def record_end(db: Session, call: Call, events: list[Event]) -> list[Job]:
    """The first final status callback: ``end`` with its status and the call's duration
    in seconds from our first webhook to this callback (not the platform's CallDuration)."""
    for event in events:
        status = event.detail.get("status")
        if event.kind == "status" and status in FINAL:
            now = utcnow()
            duration = max(0, int((now - call.started_at).total_seconds()))
            detail = {"status": status, "duration": duration}
            add_event(db, call.id, "end", Event("end", detail=detail), now)
            break
    return []
