"""Presence in the database, for the embedded single-machine default (no Redis).

The claim is one ``UPDATE ... WHERE agent_id = (SELECT ... LIMIT 1) AND
status = 'available' RETURNING agent_id``: on PostgreSQL the inner select takes
``FOR UPDATE SKIP LOCKED``, so concurrent claims pick different agents without
waiting; SQLite runs one writer at a time, so the statement is atomic there.
``call_sid`` is unique: one call can never hold two agents.

Changes go through the request's session (``ivr.db.session()``) and are
committed at once unless ``commit=False`` (when the caller's own unit of work,
e.g. the webhook's ``save()``, commits them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from ivr import db
from ivr.agents import presence
from ivr.agents.models import Agent, AgentPresence, AgentStatus, QueuedCall
from ivr.agents.presence import MAX_QUEUE_AGE, SHOWN, AgentState, Claim, QueuePlace, QueueState
from ivr.clock import utcnow

if TYPE_CHECKING:
    from sqlalchemy.sql import Executable


def _state(row: AgentPresence) -> AgentState:
    return AgentState(row.agent_id, row.status, row.since, row.call_sid or "", row.after or "")


class DatabasePresence:
    name = "database"

    def session(self) -> Session:
        return db.session()

    def _finish(self, session: Session, commit: bool) -> None:
        if commit:
            session.commit()
        else:
            session.flush()

    def _run(self, work, commit: bool = True):
        session = self.session()
        try:
            result = work(session)
            self._finish(session, commit)
            return result
        except SQLAlchemyError as exc:
            if commit:
                session.rollback()
            raise presence.PresenceUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _locked(self, session: Session, statement: Executable) -> AgentPresence | None:
        return session.scalars(
            statement.with_for_update().execution_options(populate_existing=True)
        ).first()

    # --- agents ---------------------------------------------------------
    def set_status(
        self,
        agent: Agent,
        status: str,
        *,
        force: bool = False,
        now: datetime | None = None,
        commit: bool = True,
    ) -> AgentState:
        presence.check_status(status)
        now = now or utcnow()

        def work(session: Session) -> AgentState:
            row = self._locked(
                session, select(AgentPresence).where(AgentPresence.agent_id == agent.id)
            )
            if row is None:
                row = AgentPresence(
                    agent_id=agent.id, centre=agent.centre, status=AgentStatus.OFFLINE, since=now
                )
                try:
                    with session.begin_nested():
                        session.add(row)
                except IntegrityError:  # created concurrently: lock that one
                    row = self._locked(
                        session, select(AgentPresence).where(AgentPresence.agent_id == agent.id)
                    )
            row.centre = agent.centre
            if row.status == AgentStatus.BUSY and not force:
                row.after = status
                return _state(row)
            row.call_sid, row.after = None, None
            if row.status != status:
                row.status, row.since = status, now
            return _state(row)

        return self._run(work, commit)

    def states(self, agents: Sequence[Agent]) -> dict[int, AgentState]:
        ids = [agent.id for agent in agents]

        def work(session: Session) -> dict[int, AgentState]:
            rows = session.scalars(select(AgentPresence).where(AgentPresence.agent_id.in_(ids)))
            found = {row.agent_id: _state(row) for row in rows}
            return {i: found.get(i, AgentState(i)) for i in ids}

        return self._run(work, commit=False)

    def available(self, centre: str) -> int:
        query = select(func.count()).where(
            AgentPresence.centre == centre, AgentPresence.status == AgentStatus.AVAILABLE
        )
        return self._run(lambda session: session.scalar(query) or 0, commit=False)

    # --- calls ----------------------------------------------------------
    def claim(
        self, centre: str, call_sid: str, now: datetime | None = None, commit: bool = True
    ) -> Claim | None:
        now = now or utcnow()

        def work(session: Session) -> int | None:
            held = self._held(session, call_sid)
            if held is not None:
                return held
            pick = (
                select(AgentPresence.agent_id)
                .where(
                    AgentPresence.centre == centre, AgentPresence.status == AgentStatus.AVAILABLE
                )
                .order_by(AgentPresence.since, AgentPresence.agent_id)
                .limit(1)
            )
            if session.get_bind().dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            statement = (
                update(AgentPresence)
                .where(
                    AgentPresence.agent_id == pick.scalar_subquery(),
                    AgentPresence.status == AgentStatus.AVAILABLE,
                )
                .values(status=AgentStatus.BUSY, since=now, call_sid=call_sid, after=None)
                .returning(AgentPresence.agent_id)
                .execution_options(synchronize_session=False)
            )
            try:
                with session.begin_nested():
                    return session.execute(statement).scalar()
            except IntegrityError:  # the same call claimed concurrently (a retried webhook)
                return self._held(session, call_sid)

        agent_id = self._run(work, commit)
        return self._claim_of(agent_id) if agent_id is not None else None

    def _held(self, session: Session, call_sid: str) -> int | None:
        return session.scalar(
            select(AgentPresence.agent_id).where(
                AgentPresence.call_sid == call_sid, AgentPresence.status == AgentStatus.BUSY
            )
        )

    def _claim_of(self, agent_id: int) -> Claim:
        agent = self._run(lambda session: session.get(Agent, agent_id), commit=False)
        return Claim(agent_id, agent.agent_number, agent.phone)

    def claimed(self, call_sid: str) -> Claim | None:
        agent_id = self._run(lambda session: self._held(session, call_sid), commit=False)
        return self._claim_of(agent_id) if agent_id is not None else None

    def release(
        self, call_sid: str, now: datetime | None = None, commit: bool = True
    ) -> int | None:
        now = now or utcnow()
        statement = (
            update(AgentPresence)
            .where(AgentPresence.call_sid == call_sid)
            .values(
                status=func.coalesce(AgentPresence.after, AgentStatus.AVAILABLE.value),
                since=now,
                call_sid=None,
                after=None,
            )
            .returning(AgentPresence.agent_id)
            .execution_options(synchronize_session=False)
        )
        return self._run(lambda session: session.execute(statement).scalar(), commit)

    # --- queue ----------------------------------------------------------
    def join_queue(
        self, centre: str, call_sid: str, now: datetime | None = None, commit: bool = True
    ) -> None:
        now = now or utcnow()

        def work(session: Session) -> None:
            session.execute(delete(QueuedCall).where(QueuedCall.joined_at < now - MAX_QUEUE_AGE))
            if session.get(QueuedCall, call_sid) is not None:
                return
            try:
                with session.begin_nested():
                    session.add(QueuedCall(call_sid=call_sid, centre=centre, joined_at=now))
            except IntegrityError:  # a retried webhook got there first
                pass

        self._run(work, commit)

    def leave_queue(self, call_sid: str, commit: bool = True) -> bool:
        statement = (
            delete(QueuedCall)
            .where(QueuedCall.call_sid == call_sid)
            .returning(QueuedCall.call_sid)
            .execution_options(synchronize_session=False)
        )
        return self._run(lambda session: session.execute(statement).first() is not None, commit)

    def place(self, call_sid: str, now: datetime | None = None) -> QueuePlace | None:
        cutoff = (now or utcnow()) - MAX_QUEUE_AGE

        def work(session: Session) -> QueuePlace | None:
            mine = session.execute(
                select(QueuedCall.centre, QueuedCall.joined_at).where(
                    QueuedCall.call_sid == call_sid, QueuedCall.joined_at >= cutoff
                )
            ).first()
            if mine is None:
                return None
            centre, joined = mine
            ahead = session.scalar(
                select(func.count()).where(
                    QueuedCall.centre == centre,
                    QueuedCall.joined_at >= cutoff,
                    or_(
                        QueuedCall.joined_at < joined,
                        and_(QueuedCall.joined_at == joined, QueuedCall.call_sid < call_sid),
                    ),
                )
            )
            return QueuePlace(centre, (ahead or 0) + 1, joined)

        return self._run(work, commit=False)

    def queues(self, centres: Iterable[str], now: datetime | None = None) -> dict[str, QueueState]:
        centres = list(centres)
        cutoff = (now or utcnow()) - MAX_QUEUE_AGE
        query = (
            select(QueuedCall.centre, func.count(), func.min(QueuedCall.joined_at))
            .where(QueuedCall.centre.in_(centres), QueuedCall.joined_at >= cutoff)
            .group_by(QueuedCall.centre)
        )
        first = (
            select(QueuedCall.centre, QueuedCall.call_sid, QueuedCall.joined_at)
            .where(QueuedCall.centre.in_(centres), QueuedCall.joined_at >= cutoff)
            .order_by(QueuedCall.joined_at, QueuedCall.call_sid)
        )

        def work(session: Session) -> dict[str, QueueState]:
            calls: dict[str, list[tuple[str, datetime]]] = {centre: [] for centre in centres}
            for centre, call_sid, joined in session.execute(first):
                if len(calls[centre]) < SHOWN:
                    calls[centre].append((call_sid, joined))
            found = {
                centre: QueueState(count, oldest, tuple(calls[centre]))
                for centre, count, oldest in session.execute(query)
            }
            return {centre: found.get(centre, QueueState()) for centre in centres}

        return self._run(work, commit=False)
