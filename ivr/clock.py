"""The time now, and the column type that keeps every stored time in UTC.

Every timestamp column is :class:`UTCDateTime`: the database type stays
``DateTime(timezone=True)`` (``timestamptz`` on PostgreSQL, text on SQLite),
but the values going in and out are always timezone-aware UTC datetimes:

- in: an aware datetime is converted to UTC (SQLite stores the wall-clock
  digits without the zone, so a centre-local time would otherwise be stored
  eight hours off); a naive one is refused, since it says nothing about which
  zone it means.
- out: SQLite's naive values get their UTC zone back; PostgreSQL's (in the
  connection's time zone) are converted to UTC.

So code never needs to "fix up" a time read from the database. People read
times in the centre's zone (``IVR_TIMEZONE``), with its offset: :func:`centre_text`
for text, :func:`centre_iso` for machines.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def centre_text(value: datetime, zone: tzinfo) -> str:
    """``2026-11-30 16:21 +08:00``: a stored time as the centre reads it."""
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.isoformat()[-6:]}"


def centre_iso(value: datetime, zone: tzinfo) -> str:
    """``2026-11-30T16:21:05+08:00``: ISO 8601 in the centre's zone, with its offset."""
    return value.astimezone(zone).isoformat(timespec="seconds")


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that binds and returns aware UTC datetimes only."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime takes a datetime, not {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no zone: what it holds is UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
