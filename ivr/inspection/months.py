"""Assessment months ("2026-11"): parsing and their bounds in the centre's time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from ivr.clock import utcnow

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class MonthError(ValueError):
    pass


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-11"`` -> ``(2026, 11)``; anything else raises :class:`MonthError`."""
    match = MONTH.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise MonthError(f"month must look like 2026-11, not {text!r}")
    return int(match.group(1)), int(match.group(2))


def is_month(text: str) -> bool:
    return bool(isinstance(text, str) and MONTH.match(text))


def shift(month: str, by: int) -> str:
    """The month ``by`` months after (negative: before) ``month``."""
    year, number = parse_month(month)
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def recent(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    return [shift(month, -back) for back in range(count - 1, -1, -1)]


def bounds(month: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in UTC, for the centre's time zone."""
    year, number = parse_month(month)
    start = datetime(year, number, 1, tzinfo=zone)
    next_year, next_number = parse_month(shift(month, 1))
    end = datetime(next_year, next_number, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def current(zone: tzinfo, now: datetime | None = None) -> str:
    """The centre's current month."""
    now = now or utcnow()
    return now.astimezone(zone).strftime("%Y-%m")


def month_of(moment: datetime, zone: tzinfo) -> str:
    """The centre month an aware time (e.g. a stored one) falls in."""
    return moment.astimezone(zone).strftime("%Y-%m")
