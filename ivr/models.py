"""Every mapped table, imported in one place for Alembic and create_all."""

from ivr.calls.models import Call, CallEvent

__all__ = ["Call", "CallEvent"]
