"""Spec §5: handling deadlines, follow-up within 72 hours, closing after the follow-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ivr.complaints import deadlines, service
from ivr.complaints.models import Ticket, TicketContact

OPENED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def ticket(**fields) -> Ticket:
    values = {
        "status": "received",
        "matter": "service",
        "opened_at": OPENED,
        "caller": "+8643262012345",
        **fields,
    }
    values.setdefault("due_at", deadlines.due_for(values["matter"], OPENED))
    item = Ticket(**values)
    item.contacts = []
    return item


def attempt(item: Ticket, outcome: str, hours: float) -> None:
    item.contacts.append(TicketContact(outcome=outcome, at=OPENED + timedelta(hours=hours)))


@pytest.mark.parametrize(("matter", "within"), [("service", 12), ("public", 72)])
def test_deadlines_follow_the_matter(matter, within):
    assert deadlines.due_for(matter, OPENED) == OPENED + timedelta(hours=within)


def test_a_late_ticket_is_overdue_until_handled_then_for_its_follow_up():
    item = ticket()
    assert deadlines.overdue(item, OPENED + timedelta(hours=11)) == ""
    assert deadlines.overdue(item, OPENED + timedelta(hours=13)) == "handling"
    service.move(item, "in_progress", now=OPENED + timedelta(hours=1))
    assert deadlines.overdue(item, OPENED + timedelta(hours=13)) == "handling"
    service.move(item, "follow_up", now=OPENED + timedelta(hours=14))
    assert item.follow_up_due_at == OPENED + timedelta(hours=14 + 72)
    assert deadlines.overdue(item, OPENED + timedelta(hours=80)) == ""
    assert deadlines.overdue(item, OPENED + timedelta(hours=87)) == "follow-up"


def test_changing_the_matter_moves_the_deadline():
    item = ticket()
    changes = service.update_fields(item, {"matter": "public"})
    assert item.due_at == OPENED + timedelta(days=3)
    assert set(changes) == {"matter", "due_at"}


def test_closing_needs_the_follow_up_or_three_failed_attempts():
    item = ticket()
    service.move(item, "follow_up", now=OPENED + timedelta(hours=2))
    attempt(item, "no-answer", 1)  # before handling: not a follow-up attempt
    attempt(item, "no-answer", 3)
    attempt(item, "busy", 4)
    with pytest.raises(service.TicketError, match="at least 3 failed"):
        service.move(item, "closed")
    assert item.status == "follow_up"
    attempt(item, "unreachable", 5)
    assert deadlines.failed_attempts(item) == 3
    changes = service.move(item, "closed", now=OPENED + timedelta(hours=6))
    assert (item.status, item.closed_reason) == ("closed", "unreachable")
    assert changes["status"] == ["follow_up", "closed"]


def test_reaching_the_caller_allows_closing_and_reopening_clears_it():
    item = ticket()
    service.move(item, "follow_up", now=OPENED)
    attempt(item, "reached", 1)
    service.move(item, "closed", now=OPENED + timedelta(hours=2))
    assert item.closed_reason == "followed-up" and item.closed_at is not None
    service.move(item, "in_progress")
    assert (item.closed_at, item.closed_reason) == (None, "")


def test_no_number_to_call_may_close():
    item = ticket(caller="")
    service.move(item, "follow_up")
    service.move(item, "closed")
    assert item.closed_reason == "no-number"


@pytest.mark.parametrize(
    ("start", "target"),
    [("received", "closed"), ("in_progress", "received"), ("closed", "follow_up")],
)
def test_statuses_move_only_along_the_process(start, target):
    item = ticket(status=start)
    with pytest.raises(service.TicketError, match="cannot go from"):
        service.move(item, target)


def test_unknown_values_are_refused():
    item = ticket()
    with pytest.raises(service.TicketError):
        service.update_fields(item, {"category": "rant"})
    with pytest.raises(service.TicketError):
        service.move(item, "lost")
