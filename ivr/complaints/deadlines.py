"""Handling rules for complaints and reports (spec §5), as data and small functions.

- Service requests are acted on within half a day (12 hours); public-affairs
  matters within three days.
- Every case is followed up (回访) within 72 hours of being handled.
- A case closes once the caller was reached at follow-up, or after
  MIN_FAILED_ATTEMPTS failed attempts (the centre's rule allows 3–5), or when
  there is no number to call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ivr.complaints.models import Ticket, TicketStatus

CATEGORIES = {
    "complaint": "投诉 Complaint",
    "report": "举报 Report",
    "suggestion": "建议 Suggestion",
    "praise": "表扬 Praise",
}
MATTERS = {
    "service": "服务请求（半天内办理） Service request (within half a day)",
    "public": "公共事务（三天内办理） Public-affairs matter (within three days)",
}
HANDLE_WITHIN = {"service": timedelta(hours=12), "public": timedelta(days=3)}
FOLLOW_UP_WITHIN = timedelta(hours=72)
MIN_FAILED_ATTEMPTS = 3

STATUSES = {
    TicketStatus.RECEIVED: "已受理 Received",
    TicketStatus.IN_PROGRESS: "处理中 In progress",
    TicketStatus.FOLLOW_UP: "待回访 Follow-up",
    TicketStatus.CLOSED: "已办结 Closed",
}
# Where each status may go next; closing also needs closing_reason() to give one.
TRANSITIONS = {
    TicketStatus.RECEIVED: (TicketStatus.IN_PROGRESS, TicketStatus.FOLLOW_UP),
    TicketStatus.IN_PROGRESS: (TicketStatus.FOLLOW_UP,),
    TicketStatus.FOLLOW_UP: (TicketStatus.IN_PROGRESS, TicketStatus.CLOSED),
    TicketStatus.CLOSED: (TicketStatus.IN_PROGRESS,),
}
CHANNELS = {
    "phone": "电话 Phone (IVR)",
    "letter": "信件 Letter",
    "email": "电子邮件 Email",
    "visit": "来访 Visit",
    "other": "其他 Other",
}
OUTCOMES = {
    "reached": "已联系上 Reached",
    "no-answer": "无人接听 No answer",
    "busy": "占线 Busy",
    "unreachable": "无法接通/关机 Unreachable",
    "wrong-number": "号码错误 Wrong number",
}
FAILED_OUTCOMES = {"no-answer", "busy", "unreachable", "wrong-number"}
CLOSED_REASONS = {
    "followed-up": "已回访 Caller reached at follow-up",
    "unreachable": "多次联系未果 Caller could not be reached",
    "no-number": "无联系电话 No number to call",
}


def due_for(matter: str, opened_at: datetime) -> datetime:
    return opened_at + HANDLE_WITHIN[matter]


def overdue(ticket: Ticket, now: datetime) -> str:
    """Which deadline the ticket has missed: "handling", "follow-up" or ""."""
    if ticket.status in (TicketStatus.RECEIVED, TicketStatus.IN_PROGRESS) and now > ticket.due_at:
        return "handling"
    follow_up_due = ticket.follow_up_due_at
    if ticket.status == TicketStatus.FOLLOW_UP and follow_up_due and now > follow_up_due:
        return "follow-up"
    return ""


def _since_handled(ticket: Ticket) -> list:
    handled = ticket.handled_at
    return [c for c in ticket.contacts if handled is None or c.at >= handled]


def failed_attempts(ticket: Ticket) -> int:
    return sum(1 for c in _since_handled(ticket) if c.outcome in FAILED_OUTCOMES)


def closing_reason(ticket: Ticket) -> str:
    """Why the ticket may close now ("" = it may not: follow-up not done)."""
    if any(c.outcome == "reached" for c in _since_handled(ticket)):
        return "followed-up"
    if failed_attempts(ticket) >= MIN_FAILED_ATTEMPTS:
        return "unreachable"
    if not ticket.caller or ticket.caller == "anonymous":
        return "no-number"
    return ""
