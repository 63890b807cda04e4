"""Record what one webhook request did to a call, once, and start the jobs it calls for.

Twilio retries webhooks, so every write is keyed by the request (``Entry.key``)
and a request seen before changes nothing. A request that only records menu
steps goes to the call journal when there is one (Redis), which also creates
the call's row; the rest is written here in one transaction, with the effects
the domains registered for its events and, for a recording status callback,
its recording kind's handler. Jobs are queued after the commit, so they see
the rows. A database failure never silences the call: it is logged and the
caller still gets the TwiML.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from ivr import metrics
from ivr.calls import store
from ivr.calls.events import Effect, Event, Job, RecordingCallback
from ivr.calls.journal import Journal
from ivr.calls.models import Call

log = logging.getLogger("ivr.calls")


@dataclass(frozen=True)
class RecordingUpdate:
    """A recording status callback: its kind's handler and what the platform posted."""

    handler: RecordingCallback
    form: dict[str, str]
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorder:
    session: Callable[[], Session]
    effects_for: Callable[[Iterable[Event]], list[Effect]]  # the domains' effects of events
    journal: Callable[[], Journal | None]
    enqueue: Callable[..., bool]

    def record(
        self,
        entry: store.Entry,
        *,
        status: str | None = None,
        duration: str | None = None,
        recording: RecordingUpdate | None = None,
        opens: bool = False,
        trial: bool = False,
    ) -> bool:
        """Store ``entry`` (once). ``opens``: the call's row is needed at once, because the
        request starts a recording whose callback does not name the caller. ``trial``: a
        trial call's (ivr.calls.trial) events are stored, but no domain acts on them and
        no recording of it is kept. Returns False when nothing could be stored."""
        effects = [] if trial else self.effects_for(entry.events)
        if trial:
            recording = None
        quiet = not status and recording is None and not effects  # only to be recorded
        journal = self.journal() if quiet else None
        if journal is not None:
            if opens:
                self._open_call(entry)
            if journal.append(entry):
                return True
        try:
            jobs = self._write(entry, quiet, effects, status, duration, recording)
        except DBAPIError as exc:
            self.session().rollback()
            if not exc.connection_invalidated:
                return self._failed()
            try:  # the server had dropped the pooled connection: once more on a new one
                jobs = self._write(entry, quiet, effects, status, duration, recording)
            except SQLAlchemyError:
                self.session().rollback()
                return self._failed()
        except SQLAlchemyError:
            self.session().rollback()
            return self._failed()
        for name, *args in jobs:  # after the commit, so the job sees the rows
            self.enqueue(name, *args)
        return True

    def _write(
        self,
        entry: store.Entry,
        quiet: bool,
        effects: list[Effect],
        status: str | None,
        duration: str | None,
        recording: RecordingUpdate | None,
    ) -> list[Job]:
        """One transaction: the call and events, then (first time only) their effects."""
        jobs: list[Job] = []
        session = self.session()
        call_id = store.record_request(session, entry)
        if call_id is not None and not quiet:
            call = session.get_one(Call, call_id)
            if status:
                store.apply_status(call, status, duration)
            for effect in effects:
                jobs += effect(session, call, list(entry.events))
            if recording is not None:
                jobs += recording.handler(session, call, recording.form, recording.args)
        session.commit()
        return jobs

    @staticmethod
    def _failed() -> bool:
        log.exception("could not record call events; answering anyway")
        metrics.DATABASE_ERRORS.inc()
        return False

    def _open_call(self, entry: store.Entry) -> None:
        """Create the call's row at once; the journal creates it if this fails."""
        session = self.session()
        try:
            store.ensure_call(session, entry)
            session.commit()
        except SQLAlchemyError:
            log.exception("could not create the call's row; the journal will")
            metrics.DATABASE_ERRORS.inc()
            session.rollback()
