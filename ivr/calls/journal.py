"""The call journal: menu steps reach the database in batches, through a Redis stream.

Most webhooks only record that a caller heard a menu or pressed a key. Writing
each of those to the database while Twilio waits costs several round trips and
a WAL flush; with Redis configured the webhook appends the request's entry to
a stream instead (one round trip) and the ``calls.flush`` job, queued a second
later, writes everything waiting in three statements. The stream is the queue:
entries are deleted only after their rows are committed, and rows are keyed by
request, so a flush that dies half way or runs twice still stores each event
once. Requests whose events have effects (status callbacks, recordings,
messages, faxes, complaints) are written by the webhook itself, as they are
without Redis; so is everything when Redis cannot be reached.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy.exc import DataError, IntegrityError

from ivr import db, jobs
from ivr.calls import store

log = logging.getLogger("ivr.calls")

STREAM = "ivr:calls:journal"
DEAD = "ivr:calls:journal:dead"  # entries the database refused, kept for an operator
FLUSH_QUEUED = "ivr:calls:journal:flush-queued"
FLUSH = "calls.flush"
FLUSH_DELAY = 1  # seconds: a second of webhooks is written in one transaction
FLUSH_QUEUED_TTL = 60  # a lost flush job is queued again by the next webhook after this
BATCH = 1000


# Add the entry and say whether a flush must be queued, in one round trip.
APPEND = """
redis.call('XADD', KEYS[1], '*', 'entry', ARGV[1])
return redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2])
"""


class Journal:
    def __init__(self, redis_url: str) -> None:
        from redis import Redis

        # Short timeouts: a webhook that cannot reach Redis writes to the database instead.
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
        self._append = self.redis.register_script(APPEND)

    def append(self, entry: store.Entry) -> bool:
        """Add a request's entry; False if Redis failed (the caller stores it itself)."""
        from redis.exceptions import RedisError

        try:
            first = self._append([STREAM, FLUSH_QUEUED], [entry.dumps(), FLUSH_QUEUED_TTL])
        except RedisError as exc:
            log.warning("call journal unavailable (%s); writing to the database", exc)
            return False
        if first:
            jobs.enqueue(FLUSH, delay=FLUSH_DELAY)
        return True

    def backlog(self) -> int:
        return self.redis.xlen(STREAM)

    def dead(self) -> int:
        return self.redis.xlen(DEAD)

    def flush(self) -> int:
        """Write every entry waiting now; returns how many were written.

        The flag is cleared first: an entry added after that queues the next
        flush, one added before is read below.
        """
        self.redis.delete(FLUSH_QUEUED)
        newest = self.redis.xrevrange(STREAM, count=1)
        if not newest:
            return 0
        last_id, written = newest[0][0], 0
        while items := self.redis.xrange(STREAM, min="-", max=last_id, count=BATCH):
            written += self._write(items)
            self.redis.xdel(STREAM, *[entry_id for entry_id, _ in items])
        return written

    def _write(self, items: list[tuple[bytes, dict[bytes, bytes]]]) -> int:
        entries: list[tuple[bytes, store.Entry]] = []
        for entry_id, fields in items:
            try:
                entries.append((entry_id, store.Entry.loads(fields[b"entry"])))
            except (KeyError, TypeError, ValueError) as exc:  # not written by this version
                self._set_aside(entry_id, fields.get(b"entry", b""), f"unreadable: {exc!r}")
        session = db.session()
        try:
            store.record_batch(session, [entry for _, entry in entries])
            session.commit()
            return len(entries)
        except (DataError, IntegrityError):
            session.rollback()
        # One entry the database refuses must not hold up the others: find it.
        written = 0
        for entry_id, entry in entries:
            try:
                store.record_batch(session, [entry])
                session.commit()
                written += 1
            except (DataError, IntegrityError) as exc:
                session.rollback()
                self._set_aside(entry_id, entry.dumps(), f"refused by the database: {exc.orig}")
        return written

    def _set_aside(self, entry_id: bytes, text: bytes | str, error: str) -> None:
        self.redis.xadd(DEAD, {"entry": text, "error": error[:500]})
        log.error("call journal entry %s set aside (%s): %s", entry_id, DEAD, error)


@jobs.task(FLUSH, queue="events", timeout=300, retry_intervals=(5, 15, 60, 300, 900))
def flush_job() -> int:
    return journal().flush()


@jobs.sweeper("call journal")
def queue_flush() -> int:
    """At worker start: entries left by a flush that never ran."""
    waiting = journal().backlog() if journal() else 0
    if waiting:
        jobs.enqueue(FLUSH)
    return waiting


def journal() -> Journal | None:
    """The app's journal, or None without Redis (webhooks then write directly)."""
    return current_app.extensions.get("ivr.journal")


def init_app(app: Flask) -> None:
    redis_url = app.config["SETTINGS"].redis_url
    if redis_url:
        app.extensions["ivr.journal"] = Journal(redis_url)
