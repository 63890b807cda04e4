"""Login throttling: too many failed logins for a username or from an address.

After ``MAX_PER_USERNAME`` failures for one username, or ``MAX_PER_ADDRESS``
from one client address, within ``WINDOW``, further attempts are refused
(HTTP 429, even with the right password) until fewer failures than that lie
within the last ``WINDOW``.

Failures are counted where every gunicorn worker and web host sees them: in
Redis when ``REDIS_URL`` is set (a sorted set of attempt times per username
and per address, an attempt added before its password is checked so that
concurrent guesses count against each other), else in the database, as the
``login_failed`` audit rows that every failure writes anyway (``object_id``
the username, ``detail`` the address; attempts at one username serialised
by a row lock). If Redis fails, the database count is used.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, request
from sqlalchemy import func, select

from ivr import db
from ivr.staff.models import AuditEvent, User

MAX_PER_USERNAME = 5
MAX_PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)
EXTENSION = "webapp.throttle"
COUNTED_IN_DATABASE = "database"  # the attempt token when the database counts

REFUSED = (
    "登录失败次数过多，请15分钟后再试。 Too many failed logins for this account or "
    "from this address: try again in 15 minutes."
)


def client_address() -> str:
    """The client's address as the deployment sees it (README "Deploying").

    In production the web processes sit behind a load balancer that terminates
    TLS and appends the address it saw to ``X-Forwarded-For``: the last entry
    is the client (earlier entries are whatever the client sent, not trusted).
    Elsewhere (``scripts/serve``, tests) the socket's peer address is used.
    ``WEBAPP_PROXY_HOPS`` (Flask config) overrides the number of trusted proxies.
    """
    hops = current_app.config.get("WEBAPP_PROXY_HOPS")
    if hops is None:
        hops = 1 if current_app.config["SETTINGS"].production else 0
    if hops > 0:
        forwarded = [
            part.strip()
            for header in request.headers.getlist("X-Forwarded-For")
            for part in header.split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return (request.remote_addr or "unknown")[:64]


def _username_key(username: str) -> str:
    return username[:64]


class DatabaseFailures:
    """Failures are the ``login_failed`` audit rows (written by the login view).

    Attempts at one existing username are serialised by locking its row
    (PostgreSQL) until the view commits, so concurrent guesses cannot all
    pass the count before any failure is written.
    """

    def __init__(self) -> None:
        self.clock = time.time

    def begin(self, username: str, address: str) -> str | None:
        session = db.session()
        session.execute(select(User.id).where(User.username == username).with_for_update())
        by_user, by_address = self.counts(username, address)
        if by_user >= MAX_PER_USERNAME or by_address >= MAX_PER_ADDRESS:
            return None
        return COUNTED_IN_DATABASE

    def counts(self, username: str, address: str) -> tuple[int, int]:
        since = datetime.fromtimestamp(self.clock(), UTC) - WINDOW
        recent = (AuditEvent.action == "login_failed", AuditEvent.created_at >= since)
        session = db.session()
        by_user = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(*recent, AuditEvent.object_id == _username_key(username))
        )
        by_address = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(*recent, AuditEvent.detail["address"].as_string() == address)
        )
        return by_user or 0, by_address or 0

    def settle(self, token: str, username: str, address: str, *, failed: bool) -> None:
        pass  # the audit row of a failure is the record


class RedisFailures:
    """A sorted set of attempt times per username and per address, expiring with the window.

    An attempt is added before the password is checked (atomically with the
    count, so concurrent guesses count against each other), removed again if
    it is refused or succeeds, and kept as a failure otherwise.
    """

    PREFIX = "ivr:login-failures"

    def __init__(self, redis_url: str) -> None:
        from redis import Redis

        self.connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        self.clock = time.time
        self.fallback = DatabaseFailures()

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return (
            f"{self.PREFIX}:user:{_username_key(username)}",
            f"{self.PREFIX}:addr:{address}",
        )

    def begin(self, username: str, address: str) -> str | None:
        from redis.exceptions import RedisError

        now = self.clock()
        token = f"{now:.6f}:{secrets.token_hex(8)}"
        ttl = int(WINDOW.total_seconds()) + 1
        try:
            pipe = self.connection.pipeline(transaction=True)
            for key in self._keys(username, address):
                pipe.zremrangebyscore(key, 0, now - WINDOW.total_seconds())
                pipe.zadd(key, {token: now})
                pipe.expire(key, ttl)
                pipe.zcard(key)
            results = pipe.execute()
        except RedisError:
            current_app.logger.warning("login throttle: Redis failed, counting in the database")
            self.fallback.clock = self.clock
            return self.fallback.begin(username, address)
        by_user, by_address = results[3], results[7]  # this attempt included
        if by_user > MAX_PER_USERNAME or by_address > MAX_PER_ADDRESS:
            self._forget(token, username, address)
            return None
        return token

    def settle(self, token: str, username: str, address: str, *, failed: bool) -> None:
        if not failed and token != COUNTED_IN_DATABASE:
            self._forget(token, username, address)

    def _forget(self, token: str, username: str, address: str) -> None:
        from redis.exceptions import RedisError

        try:
            pipe = self.connection.pipeline()
            for key in self._keys(username, address):
                pipe.zrem(key, token)
            pipe.execute()
        except RedisError:
            current_app.logger.warning("login throttle: Redis failed forgetting an attempt")


def init_app(app: Flask) -> None:
    redis_url = app.config["SETTINGS"].redis_url
    app.extensions[EXTENSION] = RedisFailures(redis_url) if redis_url else DatabaseFailures()


def failures():
    return current_app.extensions[EXTENSION]


def begin(username: str, address: str) -> str | None:
    """Start a login attempt: a token, or None if it must be refused unchecked."""
    return failures().begin(username, address)


def settle(token: str, username: str, address: str, *, failed: bool) -> None:
    """The attempt's outcome; the caller writes a failure's ``login_failed`` row and commits."""
    failures().settle(token, username, address, failed=failed)
