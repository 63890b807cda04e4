"""Every mapped table on ``Base.metadata``, for Alembic and create_all: the core's, then
each domain's (``ivr.domains``)."""

from ivr.calls.models import Call, CallEvent
from ivr.domains import import_models
from ivr.jobs.models import Job

import_models()

__all__ = ["Call", "CallEvent", "Job"]
