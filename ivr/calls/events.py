"""What a webhook request did to a call (events), and what the domains do with them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass
class Event:
    kind: str
    node: str = ""
    digits: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


# A job to start once the request's transaction is committed: (task name, *args).
Job = tuple[Any, ...]
# effect(session, call, events) -> jobs: what a domain does with a request's events.
Effect = Callable[["Session", Any, "list[Event]"], list[Job]]
# handler(session, call, form, args) -> jobs: a recording status callback of one kind.
RecordingCallback = Callable[["Session", Any, dict[str, str], dict[str, str]], list[Job]]
