"""Login throttling: too many failed logins for a username or from an address.

After ``MAX_PER_USERNAME`` failures for one username, or ``MAX_PER_ADDRESS``
from one client address, within ``WINDOW``, further attempts are refused
(HTTP 429, even with the right password) until fewer failures than that lie
within the last ``WINDOW``.

Failures are counted where every gunicorn worker and web host sees them: in
Redis when ``REDIS_URL`` is set (a sorted set of failure times per username
and per address), else in the database, as the ``login_failed`` audit rows
that every failure writes anyway (``object_id`` the username, ``detail``
the address). If Redis fails, the database count is used.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, request
from sqlalchemy import func, select

from ivr import db
from ivr.staff.models import AuditEvent

MAX_PER_USERNAME = 5
MAX_PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)
EXTENSION = "webapp.throttle"

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
    """Failures are the ``login_failed`` audit rows (written by the login view)."""

    def __init__(self) -> None:
        self.clock = time.time

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

    def add(self, username: str, address: str) -> None:
        pass  # the audit row is the record


class RedisFailures:
    """A sorted set of failure times per username and per address, expiring with the window."""

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

    def counts(self, username: str, address: str) -> tuple[int, int]:
        from redis.exceptions import RedisError

        now = self.clock()
        try:
            pipe = self.connection.pipeline()
            for key in self._keys(username, address):
                pipe.zremrangebyscore(key, 0, now - WINDOW.total_seconds())
                pipe.zcard(key)
            _, by_user, _, by_address = pipe.execute()
        except RedisError:
            current_app.logger.warning("login throttle: Redis failed, counting in the database")
            self.fallback.clock = self.clock
            return self.fallback.counts(username, address)
        return int(by_user), int(by_address)

    def add(self, username: str, address: str) -> None:
        from redis.exceptions import RedisError

        now = self.clock()
        member = f"{now:.6f}:{secrets.token_hex(4)}"
        ttl = int(WINDOW.total_seconds()) + 1
        try:
            pipe = self.connection.pipeline()
            for key in self._keys(username, address):
                pipe.zadd(key, {member: now})
                pipe.expire(key, ttl)
            pipe.execute()
        except RedisError:
            current_app.logger.warning("login throttle: Redis failed, the audit row counts instead")


def init_app(app: Flask) -> None:
    redis_url = app.config["SETTINGS"].redis_url
    app.extensions[EXTENSION] = RedisFailures(redis_url) if redis_url else DatabaseFailures()


def failures():
    return current_app.extensions[EXTENSION]


def refused(username: str, address: str) -> bool:
    """Whether this attempt must be refused without checking the password."""
    by_user, by_address = failures().counts(username, address)
    return by_user >= MAX_PER_USERNAME or by_address >= MAX_PER_ADDRESS


def record_failure(username: str, address: str) -> None:
    """Count a failed login; the caller writes its ``login_failed`` audit row and commits."""
    failures().add(username, address)
