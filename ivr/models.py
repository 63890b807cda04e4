"""Every mapped table, imported in one place for Alembic and create_all."""

from ivr.accounts.models import PersonalAccount
from ivr.agents.models import Agent, CallRecording
from ivr.calls.models import Call, CallEvent
from ivr.fax.models import FaxRequest
from ivr.staff.models import AuditEvent, User
from ivr.voicemail.models import Voicemail

__all__ = [
    "Agent",
    "AuditEvent",
    "Call",
    "CallEvent",
    "CallRecording",
    "FaxRequest",
    "PersonalAccount",
    "User",
    "Voicemail",
]
