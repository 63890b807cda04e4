"""What the voice webhooks' ``fax-requested`` events do: a FaxRequest row and its delivery job.

Called from the voice webhook's save() only for a request seen for the first
time, so a retried Twilio webhook never creates a second fax.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from ivr.calls.events import Event
from ivr.calls.models import Call
from ivr.fax.models import FaxRequest, FaxStatus

DELIVER = "fax.deliver"
EVENT_KINDS = frozenset({"fax-requested"})


def apply_events(db: Session, call: Call, events: list[Event]) -> list[tuple]:
    jobs: list[tuple] = []
    for event in events:
        if event.kind != "fax-requested":
            continue
        request = FaxRequest(
            call_sid=call.sid,
            call_id=call.id,
            document_key=event.detail["document"],
            document_title=event.detail.get("title", "")[:200],
            fax_number=event.detail["number"],
            locale=call.locale,
            status=FaxStatus.QUEUED,
            provider=current_app.config["SETTINGS"].fax.provider,
        )
        db.add(request)
        db.flush()
        jobs.append((DELIVER, request.id))
    return jobs
