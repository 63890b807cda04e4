"""Idempotent writes of calls and their steps (Twilio retries webhooks)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ivr.calls.events import Event
from ivr.calls.models import Call, CallEvent
from ivr.params import whole_number

# Call progress only moves forward: a late "ringing" never overwrites "completed".
STATUS_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "completed": 4,
    "busy": 4,
    "failed": 4,
    "no-answer": 4,
    "canceled": 4,
}
FINAL = {s for s, rank in STATUS_RANK.items() if rank == 4}


@dataclass(frozen=True)
class Entry:
    """What one webhook request records: the call it belongs to and its events.

    ``key`` is the same for Twilio's retries of the request (see
    ``ivr.voice.security.request_key``), so writing an entry twice stores it once.
    """

    call_sid: str
    from_number: str
    to_number: str
    locale: str
    key: str
    events: tuple[Event, ...]
    at: datetime

    def dumps(self) -> str:
        data: dict[str, Any] = {
            **self.__dict__,
            "events": [[e.kind, e.node, e.digits, e.detail] for e in self.events],
            "at": self.at.isoformat(),
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str | bytes) -> Entry:
        data = json.loads(text)
        data["events"] = tuple(Event(*event) for event in data["events"])
        data["at"] = datetime.fromisoformat(data["at"])
        return cls(**data)

    def call_row(self) -> dict[str, Any]:
        return {
            "sid": self.call_sid,
            "from_number": self.from_number,
            "to_number": self.to_number,
            "locale": self.locale,
            "started_at": self.at,
        }

    def event_rows(self, call_id: int) -> list[dict[str, Any]]:
        return [
            _event_row(call_id, f"{self.key}:{index}", event, self.at)
            for index, event in enumerate(self.events or (Event("request"),))
        ]


def _event_row(call_id: int, key: str, event: Event, at: datetime) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "key": key,
        "kind": event.kind,
        "node": event.node,
        "digits": event.digits[:40],
        "detail": event.detail,
        "created_at": at,
    }


def _insert(db: Session, table):
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect (PostgreSQL or SQLite)."""
    dialect = db.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def ensure_call(db: Session, entry: Entry) -> int:
    """The call's id, creating its row if this is the first request we see of it."""
    calls = Call.__table__
    insert = _insert(db, calls).on_conflict_do_nothing().returning(calls.c.id)
    call_id = db.scalar(insert, entry.call_row())
    if call_id is None:  # there already (a concurrent first request may have inserted it)
        call_id = db.scalar(select(Call.id).where(Call.sid == entry.call_sid))
    return call_id


# PostgreSQL: the call's row (created if new) and the request's events in one statement.
# The CTE's own insert is invisible to the same statement's SELECT, hence the UNION.
RECORD_REQUEST = text(
    "WITH new_call AS ("
    " INSERT INTO calls (sid, from_number, to_number, locale, status, started_at)"
    " VALUES (:sid, :from_number, :to_number, :locale, 'in-progress', :started_at)"
    " ON CONFLICT (sid) DO NOTHING RETURNING id),"
    " call AS (SELECT id FROM new_call UNION ALL"
    " SELECT id FROM calls WHERE sid = :sid LIMIT 1)"
    " INSERT INTO call_events (call_id, key, kind, node, digits, detail, created_at)"
    " SELECT call.id, t.key, t.kind, t.node, t.digits, t.detail, t.created_at"
    " FROM call, json_to_recordset(CAST(:rows AS json)) AS t(key text, kind text, node text,"
    " digits text, detail json, created_at timestamptz)"
    " ON CONFLICT DO NOTHING RETURNING call_id"
)


_CALLS, _EVENTS = cast(Table, Call.__table__), cast(Table, CallEvent.__table__)
_sqlite_call = sqlite.insert(_CALLS)
# SQLite: the call's id whether this request creates the row or not (a no-op update).
SQLITE_CALL = _sqlite_call.on_conflict_do_update(
    index_elements=[_CALLS.c.sid], set_={"sid": _sqlite_call.excluded.sid}
).returning(_CALLS.c.id)
SQLITE_EVENTS = sqlite.insert(_EVENTS).on_conflict_do_nothing().returning(_EVENTS.c.call_id)


def record_request(db: Session, entry: Entry) -> int | None:
    """Store one request's call (if new) and events: the call's id, or None (and nothing
    written) if the request was seen before.

    A retried request has the same event keys, so all of its rows conflict. One
    statement on PostgreSQL, two on SQLite (which has no data-modifying CTEs);
    no savepoint, and cached statements: this is on every webhook's path without
    the call journal.
    """
    connection = db.connection()  # Core statements, compiled once: no ORM on this path
    if connection.dialect.name == "postgresql":
        rows = [{k: v for k, v in row.items() if k != "call_id"} for row in entry.event_rows(0)]
        params = {
            **entry.call_row(),
            "rows": json.dumps(rows, ensure_ascii=False, default=datetime.isoformat),
        }
        return connection.execute(RECORD_REQUEST, params).scalar()
    call_id = connection.execute(SQLITE_CALL, entry.call_row()).scalar_one()
    stored = connection.execute(SQLITE_EVENTS, entry.event_rows(call_id)).first()
    return call_id if stored is not None else None


def record_batch(db: Session, entries: list[Entry]) -> None:
    """Store many requests' calls and events in three statements (the journal's flush).

    A call first seen here starts at its earliest entry; one that exists keeps
    its row (a status callback may have created it) but starts no later than
    its earliest entry. Entries seen before add nothing.
    """
    if not entries:
        return
    first: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: e.at):
        first.setdefault(entry.call_sid, entry)
    calls = Call.__table__
    insert = _insert(db, calls)
    upsert = insert.on_conflict_do_update(
        index_elements=[calls.c.sid],
        set_={"started_at": insert.excluded.started_at},
        where=calls.c.started_at > insert.excluded.started_at,
    )
    db.execute(upsert, [e.call_row() for e in first.values()])
    found = select(calls.c.sid, calls.c.id).where(calls.c.sid.in_(list(first)))
    ids = dict(db.execute(found).all())
    _insert_events(db, [row for e in entries for row in e.event_rows(ids[e.call_sid])])


# PostgreSQL takes a batch of events as one INSERT of a JSON array, as many rows as
# there are; given the rows themselves, psycopg sends one INSERT per row.
INSERT_JSON_ROWS = text(
    "INSERT INTO call_events (call_id, key, kind, node, digits, detail, created_at)"
    " SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS t(call_id integer, key text,"
    " kind text, node text, digits text, detail json, created_at timestamptz)"
    " ON CONFLICT DO NOTHING"
)


def _insert_events(db: Session, rows: list[dict[str, Any]]) -> None:
    if db.get_bind().dialect.name != "postgresql":  # SQLite, in process: rows are cheap
        db.execute(_insert(db, CallEvent.__table__).on_conflict_do_nothing(), rows)
        return
    text_rows = json.dumps(rows, ensure_ascii=False, default=datetime.isoformat)
    db.execute(INSERT_JSON_ROWS, {"rows": text_rows})


def add_event(db: Session, call_id: int, key: str, event: Event, at: datetime) -> None:
    """One event an effect derives from a request (e.g. the call's end): once per ``key``."""
    db.execute(
        _insert(db, CallEvent.__table__).on_conflict_do_nothing(),
        [_event_row(call_id, key, event, at)],
    )


def apply_status(call: Call, status: str, duration: str | None) -> bool:
    """Move the call's status forward; out-of-order callbacks are ignored."""
    if status not in STATUS_RANK:
        return False
    if STATUS_RANK[status] < STATUS_RANK.get(call.status, 0) or call.status in FINAL:
        return False
    call.status = status
    if status in FINAL:
        call.ended_at = call.ended_at or datetime.now(UTC)
        seconds = whole_number(duration)
        if seconds is not None:
            call.duration = seconds
    return True
