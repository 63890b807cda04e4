"""The audit trail: who viewed, listened to or changed what (spec §6)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from ivr import db
from ivr.staff.models import AuditEvent


def record(action: str, object_type: str, object_id: object, **detail: Any) -> AuditEvent:
    """Add an audit row for the current user; the caller commits with its own change."""
    event = AuditEvent(
        user_id=current_user.id if current_user.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail,
    )
    db.session().add(event)
    return event
