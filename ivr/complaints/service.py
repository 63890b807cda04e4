"""Opening tickets, moving them through their statuses, and the webhook effects.

Every change function returns what changed ({field: [old, new]}) so the web UI
can write it to the audit trail with the change itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.calls.events import Event
from ivr.calls.models import Call
from ivr.clock import utcnow
from ivr.complaints import deadlines
from ivr.complaints.models import Ticket, TicketContact, TicketStatus
from ivr.staff.models import AuditEvent
from ivr.voicemail.models import Voicemail

EVENT_KINDS = frozenset({"complaint-opened", "complaint-message"})
EDITABLE = ("category", "matter", "caller", "caller_name", "content", "handling", "result")


class TicketError(ValueError):
    """A change the handling rules do not allow (the message says why)."""


def open_ticket(db: Session, *, now: datetime | None = None, **fields: Any) -> Ticket:
    """A new ticket; its handling deadline follows from its matter."""
    now = now or utcnow()
    fields.setdefault("matter", "service")
    ticket = Ticket(opened_at=now, due_at=deadlines.due_for(fields["matter"], now), **fields)
    db.add(ticket)
    db.flush()
    return ticket


def ticket_for_call(db: Session, call: Call) -> Ticket:
    """The call's ticket, opened on first use (one per call, however often retried)."""
    ticket = db.scalar(select(Ticket).where(Ticket.call_id == call.id))
    if ticket is not None:
        return ticket
    try:
        with db.begin_nested():
            ticket = open_ticket(
                db,
                call_id=call.id,
                call_sid=call.sid,
                channel="phone",
                caller=call.from_number,
                locale=call.locale,
                category="complaint",
            )
            db.add(_system_audit("create", ticket, channel="phone", call_sid=call.sid))
    except IntegrityError:  # a concurrent request opened it
        ticket = db.scalars(select(Ticket).where(Ticket.call_id == call.id)).one()
    return ticket


def attach_message(db: Session, ticket: Ticket, recording_sid: str) -> None:
    """The caller's recorded complaint: filed on the ticket, so not left in the voicemail inbox."""
    message = db.scalar(select(Voicemail).where(Voicemail.recording_sid == recording_sid))
    if message is None:
        return
    if ticket.voicemail_id != message.id:
        db.add(_system_audit("message", ticket, voicemail_id=[ticket.voicemail_id, message.id]))
    ticket.voicemail_id = message.id
    if message.handled_at is None:
        message.handled_at = utcnow()
        message.handled_note = f"投诉工单 #{ticket.id} Filed on complaint ticket #{ticket.id}"


def apply_events(db: Session, call: Call, events: list[Event]) -> list[tuple]:
    """Webhook effects of the complaint node's events (after the voicemail service's)."""
    for event in events:
        if event.kind == "complaint-opened":
            ticket_for_call(db, call)
        elif event.kind == "complaint-message":
            attach_message(db, ticket_for_call(db, call), event.detail["recording_sid"])
    return []


# --- changes from the staff UI ------------------------------------------------
def update_fields(ticket: Ticket, values: dict[str, Any]) -> dict[str, list]:
    changes: dict[str, list] = {}
    for name in EDITABLE:
        if name not in values or values[name] is None:
            continue
        value = values[name]
        if name == "category" and value not in deadlines.CATEGORIES:
            raise TicketError(f"unknown category {value!r}")
        if name == "matter" and value not in deadlines.MATTERS:
            raise TicketError(f"unknown matter {value!r}")
        if getattr(ticket, name) != value:
            changes[name] = [getattr(ticket, name), value]
            setattr(ticket, name, value)
    if "matter" in changes:
        old_due = ticket.due_at
        ticket.due_at = deadlines.due_for(ticket.matter, ticket.opened_at)
        changes["due_at"] = [_iso(old_due), _iso(ticket.due_at)]
    return changes


def assign(ticket: Ticket, owner_id: int | None) -> dict[str, list]:
    if ticket.owner_id == owner_id:
        return {}
    changes = {"owner_id": [ticket.owner_id, owner_id]}
    ticket.owner_id = owner_id
    return changes


def move(ticket: Ticket, status: str, now: datetime | None = None) -> dict[str, list]:
    """Change the status if the rules allow it; raises TicketError saying why not."""
    now = now or utcnow()
    if status == ticket.status:
        return {}
    if status not in deadlines.STATUSES:
        raise TicketError(f"unknown status {status!r}")
    if status not in deadlines.TRANSITIONS[ticket.status]:
        raise TicketError(
            f"不能从「{deadlines.STATUSES[ticket.status]}」改为「{deadlines.STATUSES[status]}」 "
            f"A ticket cannot go from {ticket.status} to {status}."
        )
    changes: dict[str, list] = {"status": [ticket.status, status]}
    if status == TicketStatus.CLOSED:
        reason = deadlines.closing_reason(ticket)
        if not reason:
            raise TicketError(
                "回访未完成：请联系来电人，或记录至少"
                f"{deadlines.MIN_FAILED_ATTEMPTS}次未接通的联系。 Follow-up is not done: "
                f"reach the caller, or record at least {deadlines.MIN_FAILED_ATTEMPTS} failed "
                "contact attempts."
            )
        ticket.closed_at, ticket.closed_reason = now, reason
        changes["closed_reason"] = ["", reason]
    elif status == TicketStatus.FOLLOW_UP:
        ticket.handled_at = now
        ticket.follow_up_due_at = now + deadlines.FOLLOW_UP_WITHIN
        changes["follow_up_due_at"] = [None, _iso(ticket.follow_up_due_at)]
    if ticket.status == TicketStatus.CLOSED:  # reopened
        ticket.closed_at, ticket.closed_reason = None, ""
    ticket.status = status
    return changes


def add_contact(
    db: Session,
    ticket: Ticket,
    *,
    user_id: int | None,
    outcome: str,
    note: str = "",
    now: datetime | None = None,
) -> TicketContact:
    if outcome not in deadlines.OUTCOMES:
        raise TicketError(f"unknown outcome {outcome!r}")
    contact = TicketContact(
        ticket=ticket, user_id=user_id, outcome=outcome, note=note, at=now or utcnow()
    )
    db.add(contact)
    db.flush()
    return contact


def _system_audit(action: str, ticket: Ticket, **detail: Any) -> AuditEvent:
    """An audit row for what the phone line did (no user)."""
    return AuditEvent(
        user_id=None, action=action, object_type="ticket", object_id=str(ticket.id), detail=detail
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
