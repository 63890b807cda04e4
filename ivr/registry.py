"""What the domains plug into the core, one registry per app.

Each domain's ``init_app(app)`` adds its node types, call-event effects,
recording kinds, services for its nodes and flow-data loaders here (and
registers its own jobs, CLI group and blueprint); the core reads only this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click
from flask import Flask

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ivr.calls.events import Event
    from ivr.calls.models import Call
    from ivr.flows.collect import Collector
    from ivr.flows.loader import FlowBundle
    from ivr.flows.types import NodeType

# A job to start once the request's transaction is committed: (task name, *args).
Job = tuple[Any, ...]
# effect(session, call, events) -> jobs: what a domain does with a request's events.
Effect = Callable[["Session", "Call", "list[Event]"], list[Job]]
# on_callback(session, call, form, args) -> jobs: a recording status callback of this kind.
RecordingCallback = Callable[["Session", "Call", dict[str, str], dict[str, str]], list[Job]]


@dataclass(frozen=True)
class RecordingKind:
    """A kind of stored recording: its model (a RecordingMixin table) and callback."""

    name: str
    model: type
    on_callback: RecordingCallback | None = None


@dataclass
class Registry:
    node_types: dict[str, NodeType] = field(default_factory=dict)
    effects: dict[str, list[Effect]] = field(default_factory=dict)
    recording_kinds: dict[str, RecordingKind] = field(default_factory=dict)
    # name -> factory called (once per request, on first use) for the nodes: Turn.services
    services: dict[str, Callable[[], Any]] = field(default_factory=dict)
    # loader(app, bundle): read and check data that lives beside the flows; raises FlowFileError
    flow_data: list[Callable[[Flask, FlowBundle], None]] = field(default_factory=list)
    # Commands `ivr dev demo` runs after creating the demo users, each idempotent.
    demos: list[click.Command] = field(default_factory=list)
    # The recording kind of messages callers leave after the beep (a callback with no ?kind=).
    message_kind: str = ""
    # How the turns' nodes ask for answers (a domain's, e.g. speech); None: the keypad.
    collector: Collector | None = None

    def add_node_types(self, *types: type[NodeType]) -> None:
        for node_type in types:
            if node_type.name in self.node_types:
                raise ValueError(f"node type {node_type.name!r} is registered twice")
            self.node_types[node_type.name] = node_type()

    def on_events(self, kinds: Iterable[str], effect: Effect) -> None:
        """Run ``effect`` for a request (the first time it is seen) holding any of ``kinds``."""
        for kind in kinds:
            self.effects.setdefault(kind, []).append(effect)

    def effects_for(self, events: Iterable[Event]) -> list[Effect]:
        """The effects these events call for, each once, in registration order."""
        found: dict[Effect, None] = {}
        for event in events:
            for effect in self.effects.get(event.kind, ()):
                found[effect] = None
        return list(found)

    def add_recording_kind(
        self, name: str, model: type, on_callback: RecordingCallback | None = None
    ) -> None:
        if name in self.recording_kinds:
            raise ValueError(f"recording kind {name!r} is registered twice")
        # The kind names the recording's storage folder and its jobs' argument.
        model.kind = name  # type: ignore[attr-defined]
        self.recording_kinds[name] = RecordingKind(name, model, on_callback)

    def add_service(self, name: str, factory: Callable[[], Any]) -> None:
        self.services[name] = factory


def registry(app: Flask) -> Registry:
    return app.extensions.setdefault("ivr.registry", Registry())


class LazyServices(Mapping[str, Any]):
    """The services a turn's nodes may use, each built on first use."""

    def __init__(self, factories: Mapping[str, Callable[[], Any]]) -> None:
        self._factories = factories
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._factories[name]()
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)
