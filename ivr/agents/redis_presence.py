"""Presence in Redis, shared by every web process: Lua scripts make each change atomic.

Keys (prefix ``ivr:acd:``):
  agent:<id>     hash: status, since (epoch seconds), centre, number, phone, call, after
  idle:<centre>  sorted set of available agent ids scored by idle-since; ZPOPMIN = longest idle
  call:<sid>     the agent id a call holds (expires after CLAIM_TTL)
  queue:<centre> sorted set of waiting CallSids scored by when they joined
  queued:<sid>   the centre a call waits for (expires after CLAIM_TTL)

The scripts touch keys they compute from the prefix, which is fine on a single
Redis server or a replicated one (not on Redis Cluster).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from redis import Redis
from redis.exceptions import RedisError

from ivr.agents.presence import (
    CLAIM_TTL,
    MAX_QUEUE_AGE,
    SHOWN,
    AgentState,
    Claim,
    PresenceUnavailable,
    QueuePlace,
    QueueState,
    check_status,
)
from ivr.clock import utcnow

if TYPE_CHECKING:
    from ivr.agents.models import Agent

PREFIX = "ivr:acd:"

# KEYS: agent hash, idle set of the agent's centre.
# ARGV: id, status, now, centre, number, phone, force (1/0), prefix
SET_STATUS = """
local akey, idle = KEYS[1], KEYS[2]
local id, status, now, centre, force, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[7], ARGV[8]
local current = redis.call('HGET', akey, 'status')
local old_centre = redis.call('HGET', akey, 'centre')
redis.call('HSET', akey, 'centre', centre, 'number', ARGV[5], 'phone', ARGV[6])
if current == 'busy' and force ~= '1' then
  redis.call('HSET', akey, 'after', status)
  return 'busy'
end
if current == 'busy' then
  local call = redis.call('HGET', akey, 'call')
  if call then redis.call('DEL', prefix .. 'call:' .. call) end
end
redis.call('HDEL', akey, 'call', 'after')
if old_centre and old_centre ~= centre then
  redis.call('ZREM', prefix .. 'idle:' .. old_centre, id)
end
if status == 'available' and current == 'available' then
  local since = redis.call('HGET', akey, 'since') or now
  redis.call('ZADD', idle, 'NX', since, id)
  return status
end
redis.call('HSET', akey, 'status', status, 'since', now)
if status == 'available' then
  redis.call('ZADD', idle, now, id)
else
  redis.call('ZREM', idle, id)
end
return status
"""

# KEYS: idle set of the centre, call key.  ARGV: call sid, now, prefix, ttl seconds
CLAIM = """
local idle, ckey = KEYS[1], KEYS[2]
local sid, now, prefix = ARGV[1], ARGV[2], ARGV[3]
local held = redis.call('GET', ckey)
if held then
  local hkey = prefix .. 'agent:' .. held
  if redis.call('HGET', hkey, 'call') == sid and redis.call('HGET', hkey, 'status') == 'busy' then
    return held
  end
end
local popped = redis.call('ZPOPMIN', idle)
if #popped == 0 then return false end
local id = popped[1]
local akey = prefix .. 'agent:' .. id
redis.call('HSET', akey, 'status', 'busy', 'since', now, 'call', sid)
redis.call('HDEL', akey, 'after')
redis.call('SET', ckey, id, 'EX', ARGV[4])
return id
"""

# KEYS: call key.  ARGV: call sid, now, prefix
RELEASE = """
local ckey = KEYS[1]
local sid, now, prefix = ARGV[1], ARGV[2], ARGV[3]
local id = redis.call('GET', ckey)
if not id then return false end
redis.call('DEL', ckey)
local akey = prefix .. 'agent:' .. id
if redis.call('HGET', akey, 'call') ~= sid then return false end
local after = redis.call('HGET', akey, 'after') or 'available'
redis.call('HDEL', akey, 'call', 'after')
redis.call('HSET', akey, 'status', after, 'since', now)
if after == 'available' then
  redis.call('ZADD', prefix .. 'idle:' .. redis.call('HGET', akey, 'centre'), now, id)
end
return id
"""


def _epoch(moment: datetime | None) -> float:
    return (moment or utcnow()).timestamp()


def _moment(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value else None


class RedisPresence:
    name = "redis"

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        self.redis = Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=2, decode_responses=True
        )
        self.prefix = prefix
        self._set_status = self.redis.register_script(SET_STATUS)
        self._claim = self.redis.register_script(CLAIM)
        self._release = self.redis.register_script(RELEASE)

    def key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    def set_status(
        self, agent: Agent, status: str, *, force: bool = False, now: datetime | None = None
    ) -> AgentState:
        check_status(status)
        keys = [self.key("agent", agent.id), self.key("idle", agent.centre)]
        args = [agent.id, status, _epoch(now), agent.centre, agent.agent_number, agent.phone]
        try:
            self._set_status(keys=keys, args=[*args, int(force), self.prefix])
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc
        return self.states([agent])[agent.id]

    def states(self, agents: Sequence[Agent]) -> dict[int, AgentState]:
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for agent in agents:
                    pipe.hgetall(self.key("agent", agent.id))
                rows = pipe.execute()
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc
        return {
            agent.id: AgentState(
                agent.id,
                row.get("status", "offline"),
                _moment(row.get("since")),
                row.get("call", ""),
                row.get("after", ""),
            )
            for agent, row in zip(agents, rows, strict=True)
        }

    def available(self, centre: str) -> int:
        try:
            return int(self.redis.zcard(self.key("idle", centre)))
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc

    def claim(self, centre: str, call_sid: str, now: datetime | None = None) -> Claim | None:
        keys = [self.key("idle", centre), self.key("call", call_sid)]
        args = [call_sid, _epoch(now), self.prefix, int(CLAIM_TTL.total_seconds())]
        try:
            agent_id = self._claim(keys=keys, args=args)
            return self._claim_of(agent_id) if agent_id else None
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc

    def claimed(self, call_sid: str) -> Claim | None:
        try:
            agent_id = self.redis.get(self.key("call", call_sid))
            if not agent_id:
                return None
            if self.redis.hget(self.key("agent", agent_id), "call") != call_sid:
                return None
            return self._claim_of(agent_id)
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc

    def _claim_of(self, agent_id: str) -> Claim:
        number, phone = self.redis.hmget(self.key("agent", agent_id), "number", "phone")
        return Claim(int(agent_id), number or "", phone or "")

    def release(self, call_sid: str, now: datetime | None = None) -> int | None:
        try:
            agent_id = self._release(
                keys=[self.key("call", call_sid)], args=[call_sid, _epoch(now), self.prefix]
            )
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc
        return int(agent_id) if agent_id else None

    def join_queue(self, centre: str, call_sid: str, now: datetime | None = None) -> None:
        joined = _epoch(now)
        queue = self.key("queue", centre)
        try:
            with self.redis.pipeline() as pipe:
                pipe.zremrangebyscore(queue, "-inf", joined - MAX_QUEUE_AGE.total_seconds())
                pipe.zadd(queue, {call_sid: joined}, nx=True)
                pipe.set(self.key("queued", call_sid), centre, ex=CLAIM_TTL)
                pipe.execute()
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc

    def leave_queue(self, call_sid: str) -> bool:
        try:
            centre = self.redis.getdel(self.key("queued", call_sid))
            return bool(centre) and bool(self.redis.zrem(self.key("queue", centre), call_sid))
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc

    def place(self, call_sid: str, now: datetime | None = None) -> QueuePlace | None:
        cutoff = _epoch(now) - MAX_QUEUE_AGE.total_seconds()
        try:
            centre = self.redis.get(self.key("queued", call_sid))
            if not centre:
                return None
            queue = self.key("queue", centre)
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.zscore(queue, call_sid)
                pipe.zrank(queue, call_sid)  # by join time, then CallSid
                pipe.zcount(queue, "-inf", f"({cutoff}")  # expired entries ahead
                joined, rank, expired = pipe.execute()
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc
        if joined is None or rank is None or joined < cutoff:
            return None
        return QueuePlace(
            str(centre), int(rank) - int(expired) + 1, datetime.fromtimestamp(joined, UTC)
        )

    def queues(self, centres: Iterable[str], now: datetime | None = None) -> dict[str, QueueState]:
        oldest_allowed = _epoch(now) - MAX_QUEUE_AGE.total_seconds()
        centres = list(centres)
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for centre in centres:
                    queue = self.key("queue", centre)
                    pipe.zcount(queue, oldest_allowed, "+inf")
                    pipe.zrangebyscore(queue, oldest_allowed, "+inf", 0, SHOWN, withscores=True)
                rows = pipe.execute()
        except RedisError as exc:
            raise PresenceUnavailable(str(exc)) from exc
        result = {}
        for index, centre in enumerate(centres):
            waiting, first = rows[2 * index], rows[2 * index + 1]
            calls = tuple((sid, datetime.fromtimestamp(score, UTC)) for sid, score in first)
            result[centre] = QueueState(int(waiting), calls[0][1] if calls else None, calls)
        return result
