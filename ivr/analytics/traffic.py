"""How callers moved through the flow in a period: counted in the database, grouped.

From ``call_events`` joined to ``calls`` (trial calls left out), for calls
that started in the period (days in the centre's time zone), optionally only
callers of one centre (by their number, as option 0 routes them) and of one
locale (the number they called):

- ``entered``: calls that entered each node (a call entering again counts once);
- ``options``: each option taken at each node (key and where it led), and its
  share of the options taken there;
- ``invalid``, ``silence`` (rounds without a key), ``silence_hangups`` (the
  flow hung up after three silent rounds), ``back`` (``*``) at each node;
- ``hangups``: calls that ended while at the node, other than by the flow's
  own hang-up or a finished conversation: where callers gave up.

Two queries, both grouped by node in the database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select
from sqlalchemy.orm import Session

from ivr.calls.models import Call, CallEvent
from ivr.calls.store import FINAL
from ivr.flows.directory import Directory

KINDS = ("enter", "option", "invalid", "silence", "silence-hangup", "back", "hours")
# A call whose last event is one of these ended where the flow meant it to.
FLOW_ENDS = {"hangup", "silence-hangup"}
CONNECTED = {"completed", "answered", "bridged", "bridging-in-process"}


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC of the period's days in the centre's time zone."""
        start = datetime.combine(self.first, time.min, zone)
        end = datetime.combine(self.last + timedelta(days=1), time.min, zone)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class Option:
    node: str
    digits: str
    target: str  # the node it led to ("" where the option names no node: a centre, a document)
    count: int
    share: float  # of the options taken at the node


@dataclass
class Traffic:
    calls: int = 0
    entered: dict[str, int] = field(default_factory=dict)
    options: list[Option] = field(default_factory=list)
    invalid: Counter[str] = field(default_factory=Counter)
    silence: Counter[str] = field(default_factory=Counter)
    silence_hangups: Counter[str] = field(default_factory=Counter)
    back: Counter[str] = field(default_factory=Counter)
    hangups: Counter[str] = field(default_factory=Counter)
    hours: Counter[tuple[str, bool]] = field(default_factory=Counter)

    def nodes(self) -> set[str]:
        """Every node that has a figure."""
        found = set(self.entered) | {o.node for o in self.options}
        for counter in (self.invalid, self.silence, self.silence_hangups, self.back, self.hangups):
            found |= set(counter)
        return found | {node for node, _ in self.hours}

    def options_at(self, node: str) -> list[Option]:
        return [o for o in self.options if o.node == node]

    def edge_count(self, node: str, key: str, target: str) -> int:
        """Callers who took the edge ``key`` (``option:<digit>`` or a field) to ``target``."""
        if key.startswith("option:"):
            digits = key.removeprefix("option:")
            return sum(o.count for o in self.options_at(node) if o.digits == digits)
        if key in ("open", "closed"):
            return self.hours[(node, key == "open")]
        return sum(o.count for o in self.options_at(node) if o.target == target and target)


def caller_centre(directory: Directory, code: str) -> ColumnElement[bool]:
    """Calls whose caller's number belongs to centre ``code`` (``provincial``: none of
    the others), as ``Directory.for_caller`` decides: landline area code, mobile block."""
    if code not in directory.centres:
        return not_(or_(false(), *(_centre_numbers(directory, c) for c in directory.centres)))
    return _centre_numbers(directory, code)


def _centre_numbers(directory: Directory, code: str) -> ColumnElement[bool]:
    number = Call.from_number

    def national(prefix: str, rest: str = "%") -> list[ColumnElement[bool]]:
        return [number.like(f"{lead}{prefix}{rest}") for lead in ("+86", "0086", "0", "")]

    landline = or_(*national(code[1:]))
    longer = [c for c in directory.centres if c != code and c.startswith(code)]
    if longer:
        landline = and_(landline, not_(or_(*(_centre_numbers(directory, c) for c in longer))))
    blocks = [p for p, c in directory.mobile_blocks.items() if c == code]
    mobile = [like for p in blocks for like in national(p, "____")]  # 11 digits in all
    return or_(landline, *mobile)


def _filters(
    period: Period, zone: ZoneInfo, directory: Directory, centre: str, locale: str
) -> list[ColumnElement[bool]]:
    start, end = period.bounds(zone)
    conditions = [Call.trial.is_(False), Call.started_at >= start, Call.started_at < end]
    if centre:
        conditions.append(caller_centre(directory, centre))
    if locale:
        conditions.append(Call.locale == locale)
    return conditions


def traffic(
    db: Session,
    period: Period,
    zone: ZoneInfo,
    directory: Directory,
    *,
    centre: str = "",
    locale: str = "",
) -> Traffic:
    conditions = _filters(period, zone, directory, centre, locale)
    result = Traffic()
    result.calls = db.scalar(select(func.count()).select_from(Call).where(*conditions)) or 0
    target = CallEvent.detail["target"].as_string()
    opened = CallEvent.detail["open"].as_string()
    rows = db.execute(
        select(
            CallEvent.node,
            CallEvent.kind,
            CallEvent.digits,
            target,
            opened,
            func.count(),
            func.count(CallEvent.call_id.distinct()),
        )
        .join(Call, Call.id == CallEvent.call_id)
        .where(*conditions, CallEvent.kind.in_(KINDS))
        .group_by(CallEvent.node, CallEvent.kind, CallEvent.digits, target, opened)
    ).all()
    taken: Counter[str] = Counter()
    options: Counter[tuple[str, str, str]] = Counter()
    for node, kind, digits, led_to, is_open, count, calls in rows:
        if kind == "enter":
            result.entered[node] = result.entered.get(node, 0) + calls
        elif kind == "option":
            options[(node, digits, led_to or "")] += count
            taken[node] += count
        elif kind == "hours":
            result.hours[(node, str(is_open).lower() in ("true", "1"))] += count
        else:
            counter = {
                "invalid": result.invalid,
                "silence": result.silence,
                "silence-hangup": result.silence_hangups,
                "back": result.back,
            }[kind]
            counter[node] += count
    result.options = [
        Option(node, digits, led_to, count, count / taken[node])
        for (node, digits, led_to), count in sorted(options.items())
    ]
    result.hangups = _gave_up(db, conditions)
    return result


def _gave_up(db: Session, conditions: list[ColumnElement[bool]]) -> Counter[str]:
    """Ended calls by the node of their last step, unless the flow ended them there."""
    last = (
        select(
            CallEvent.node,
            CallEvent.kind,
            CallEvent.detail["result"].as_string().label("result"),
            func.row_number()
            .over(
                partition_by=CallEvent.call_id,
                order_by=(CallEvent.created_at.desc(), CallEvent.id.desc()),
            )
            .label("place"),
        )
        .join(Call, Call.id == CallEvent.call_id)
        .where(*conditions, Call.status.in_(FINAL), CallEvent.node != "")
        .subquery()
    )
    rows = db.execute(
        select(last.c.node, last.c.kind, last.c.result, func.count())
        .where(last.c.place == 1)
        .group_by(last.c.node, last.c.kind, last.c.result)
    ).all()
    ended: Counter[str] = Counter()
    for node, kind, result, count in rows:
        if kind in FLOW_ENDS or (kind == "connect-result" and result in CONNECTED):
            continue
        ended[node] += count
    return ended


def by_node(traffic: Traffic) -> dict[str, dict[str, int]]:
    """Each node's figures as a mapping (for the page's table and side panel)."""
    figures: dict[str, dict[str, int]] = defaultdict(dict)
    for node in traffic.nodes():
        figures[node] = {
            "entered": traffic.entered.get(node, 0),
            "options": sum(o.count for o in traffic.options_at(node)),
            "invalid": traffic.invalid[node],
            "silence": traffic.silence[node],
            "silence_hangups": traffic.silence_hangups[node],
            "back": traffic.back[node],
            "hangups": traffic.hangups[node],
        }
    return dict(figures)
