"""Where the media process leaves a stream's result for whichever web process asks.

Redis when REDIS_URL is set, else the database. Both claim a ticket once
(a replayed token stores nothing), keep results a few minutes, and hold the
media process's heartbeat: the webhooks offer speech only while it is fresh.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ivr.speechnav.models import MediaHeartbeat, SpeechResult

KEEP = 600  # seconds a claim and its result are kept
FRESH = 10.0  # a heartbeat older than this: the media process is down
PREFIX = "ivr:speech:"


class ResultStore(Protocol):
    def claim(self, nonce: str, call_sid: str) -> bool:
        """True the first time a ticket is presented, False ever after."""

    def put(self, nonce: str, result: dict[str, Any]) -> None: ...

    def get(self, nonce: str, call_sid: str) -> dict[str, Any] | None: ...

    def beat(self, name: str, status: dict[str, Any]) -> None: ...

    def heartbeat(self) -> dict[str, Any] | None:
        """The freshest media process's status (with ``at``), if any is fresh."""


class RedisStore:
    def __init__(self, url: str) -> None:
        from redis import Redis

        self.redis = Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=2, decode_responses=True
        )

    def claim(self, nonce: str, call_sid: str) -> bool:
        return bool(self.redis.set(f"{PREFIX}claim:{nonce}", call_sid, nx=True, ex=KEEP))

    def put(self, nonce: str, result: dict[str, Any]) -> None:
        self.redis.set(f"{PREFIX}result:{nonce}", json.dumps(result), ex=KEEP)

    def get(self, nonce: str, call_sid: str) -> dict[str, Any] | None:
        claimed, raw = self.redis.mget(f"{PREFIX}claim:{nonce}", f"{PREFIX}result:{nonce}")
        if raw is None or claimed is None or claimed != call_sid:
            return None
        return json.loads(raw)

    def beat(self, name: str, status: dict[str, Any]) -> None:
        self.redis.set(
            f"{PREFIX}heartbeat", json.dumps({**status, "at": time.time()}), ex=int(FRESH)
        )

    def heartbeat(self) -> dict[str, Any] | None:
        raw = self.redis.get(f"{PREFIX}heartbeat")
        return json.loads(raw) if raw is not None else None


class DatabaseStore:
    def __init__(self, sessions: Callable[[], sessionmaker[Session]]) -> None:
        self._sessions = sessions  # the app's, looked up on use (tests replace it)

    def sessions(self) -> Session:
        return self._sessions()()

    def claim(self, nonce: str, call_sid: str) -> bool:
        with self.sessions() as session:
            session.add(SpeechResult(nonce=nonce, call_sid=call_sid, claimed_at=time.time()))
            try:
                session.commit()
            except IntegrityError:
                return False
            session.execute(
                delete(SpeechResult).where(SpeechResult.claimed_at < time.time() - KEEP)
            )
            session.commit()
            return True

    def put(self, nonce: str, result: dict[str, Any]) -> None:
        with self.sessions() as session:
            row = session.get(SpeechResult, nonce)
            if row is not None:
                row.result = result
                session.commit()

    def get(self, nonce: str, call_sid: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            row = session.get(SpeechResult, nonce)
            if row is None or row.call_sid != call_sid:
                return None
            return row.result

    def beat(self, name: str, status: dict[str, Any]) -> None:
        with self.sessions() as session:
            row = session.get(MediaHeartbeat, name)
            if row is None:
                session.add(MediaHeartbeat(name=name, beat_at=time.time(), status=status))
            else:
                row.beat_at, row.status = time.time(), status
            session.execute(
                delete(MediaHeartbeat).where(MediaHeartbeat.beat_at < time.time() - 3600)
            )
            session.commit()

    def heartbeat(self) -> dict[str, Any] | None:
        with self.sessions() as session:
            row = session.scalars(
                select(MediaHeartbeat).order_by(MediaHeartbeat.beat_at.desc()).limit(1)
            ).first()
            return None if row is None else {**row.status, "at": row.beat_at}


def fresh(status: dict[str, Any] | None, now: float | None = None) -> bool:
    return status is not None and (now or time.time()) - float(status.get("at", 0)) < FRESH
