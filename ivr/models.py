"""Every mapped table, imported in one place for Alembic and create_all."""

from ivr.accounts.models import PersonalAccount
from ivr.agents.models import Agent, AgentPresence, CallRecording, QueuedCall
from ivr.calls.models import Call, CallEvent
from ivr.complaints.models import Ticket, TicketContact
from ivr.fax.models import FaxRequest
from ivr.inspection.models import (
    AgentMonthEntry,
    AgentMonthResult,
    SampledCall,
    SampleDraw,
    ScoreFigure,
)
from ivr.jobs.models import Job  # noqa: F401 - the embedded job queue (ivr.jobs.embedded)
from ivr.staff.models import AuditEvent, User
from ivr.voicemail.models import Voicemail

__all__ = [
    "Agent",
    "AgentMonthEntry",
    "AgentMonthResult",
    "AgentPresence",
    "AuditEvent",
    "Call",
    "CallEvent",
    "CallRecording",
    "FaxRequest",
    "PersonalAccount",
    "QueuedCall",
    "SampleDraw",
    "SampledCall",
    "ScoreFigure",
    "Ticket",
    "TicketContact",
    "User",
    "Voicemail",
]
