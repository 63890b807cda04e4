"""Staffed hours: seasons, weekdays, public holidays and make-up working days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ivr.flows.yamlfile import Located

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Season:
    name: str
    start: tuple[int, int]  # (month, day), inclusive
    end: tuple[int, int]
    open: time
    close: time

    def covers(self, day: date) -> bool:
        md = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end  # wraps the new year


@dataclass(frozen=True)
class Schedule:
    name: str
    days: frozenset[int]
    seasons: tuple[Season, ...]
    holidays: frozenset[date]
    workdays: frozenset[date]
    timezone: ZoneInfo | None = None

    def season(self, day: date) -> Season | None:
        return next((s for s in self.seasons if s.covers(day)), None)

    def is_open(self, moment: datetime, default_tz: ZoneInfo) -> bool:
        """Is a human agent on duty at ``moment`` (an aware datetime)?"""
        local = moment.astimezone(self.timezone or default_tz)
        day = local.date()
        if day in self.holidays:
            return False
        if day.weekday() not in self.days and day not in self.workdays:
            return False
        season = self.season(day)
        return season is not None and season.open <= local.time() < season.close


def _month_day(raw: object, where: Located, key: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in str(raw).split("-"))
        date(2024, month, day)  # a leap year accepts 02-29
    except ValueError:
        raise where.error(f"{key}: expected MM-DD, got {raw!r}", key) from None
    return month, day


def _time(raw: object, where: Located, key: str) -> time:
    try:
        return time.fromisoformat(str(raw))
    except ValueError:
        raise where.error(f"{key}: expected HH:MM, got {raw!r}", key) from None


def _dates(raw: object, where: Located, key: str) -> frozenset[date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise where.error(f"{key}: expected a list of dates", key)
    out = set()
    for index, item in enumerate(raw):
        if isinstance(item, datetime) or not isinstance(item, date):
            raise raw.error(f"{key}: expected a date YYYY-MM-DD, got {item!r}", index)
        out.add(item)
    return frozenset(out)


def parse_schedule(name: str, spec: object, where: Located) -> Schedule:
    if not isinstance(spec, Located):
        raise where.error(f"schedule {name!r}: expected a mapping", name)
    unknown = set(spec) - {"days", "seasons", "holidays", "workdays", "timezone"}
    if unknown:
        key = sorted(unknown)[0]
        raise spec.error(f"unknown key {key!r} in schedule {name!r}", key)
    days = spec.get("days", list(DAYS[:5]))
    if not isinstance(days, list) or any(d not in DAYS for d in days):
        raise spec.error(f"days: expected a list of {', '.join(DAYS)}", "days")
    seasons_raw = spec.get("seasons")
    if not isinstance(seasons_raw, list) or not seasons_raw:
        raise spec.error(
            "seasons: expected a non-empty list", "seasons" if "seasons" in spec else None
        )
    seasons = []
    for entry in seasons_raw:
        if not isinstance(entry, Located):
            raise spec.error("seasons: each season is a mapping", "seasons")
        missing = {"name", "from", "to", "open", "close"} - set(entry)
        if missing:
            raise entry.error(f"season is missing {', '.join(sorted(missing))}")
        season = Season(
            name=str(entry["name"]),
            start=_month_day(entry["from"], entry, "from"),
            end=_month_day(entry["to"], entry, "to"),
            open=_time(entry["open"], entry, "open"),
            close=_time(entry["close"], entry, "close"),
        )
        if season.open >= season.close:
            raise entry.error("open must be before close", "open")
        seasons.append(season)
    tz = None
    if "timezone" in spec:
        try:
            tz = ZoneInfo(str(spec["timezone"]))
        except (KeyError, ValueError):
            raise spec.error(f"unknown time zone {spec['timezone']!r}", "timezone") from None
    return Schedule(
        name=name,
        days=frozenset(DAYS.index(d) for d in days),
        seasons=tuple(seasons),
        holidays=_dates(spec.get("holidays"), spec, "holidays"),
        workdays=_dates(spec.get("workdays"), spec, "workdays"),
        timezone=tz,
    )
