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
- ``hangups``: where callers gave up: ended calls whose last step (the last event
  at a node: the ``end`` and status events are at none) was at the node, unless it
  ended there served: the flow hung up, a conversation was put through (an agent or
  a number answered), or a message was left.

Grouped in the database: the steps of the period's calls, then each ended call's
last step (one index probe per call).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from ivr.calls.models import Call, CallEvent
from ivr.calls.store import FINAL
from ivr.flows.directory import Directory

KINDS = ("enter", "option", "invalid", "silence", "silence-hangup", "back", "hours")
# A call whose last step is one of these did not give up there: the flow hung up, an
# agent's conversation finished, a message was left (the caller hangs up to end it).
SERVED = (
    "hangup",
    "silence-hangup",
    "agent-answered",
    "voicemail-recorded",
    "voicemail-kept",
    "complaint-message",
)
# Nor one whose last step is a ``connect-result`` with one of these (a number dialled,
# the complaint desk, Twilio's queue bridging an agent), or a ``queue-left`` answered.
CONNECTED = ("completed", "answered", "bridged", "bridging-in-process")


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
    # Only options and hours branches have details to read (JSON parsed per row).
    target = case((CallEvent.kind == "option", CallEvent.detail["target"].as_string()))
    opened = case((CallEvent.kind == "hours", CallEvent.detail["open"].as_string()))
    start, _ = period.bounds(zone)
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
        # A call's events come after its start: the index on (kind, created_at) bounds them.
        .where(*conditions, CallEvent.kind.in_(KINDS), CallEvent.created_at >= start)
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
    """Ended calls by the node of their last step, unless they ended there served."""
    step = CallEvent.__table__.alias("step")
    latest = (step.c.created_at.desc(), step.c.id.desc())
    ended = [*conditions, Call.status.in_(FINAL)]
    if db.get_bind().dialect.name == "postgresql":
        # Each call's last step by a backward probe of ix_call_events_call_id_created_at.
        last = (
            select(step.c.node, step.c.kind, step.c.detail)
            .where(step.c.call_id == Call.id, step.c.node != "")
            .order_by(*latest)
            .limit(1)
            .lateral("last")
        )
        steps = select(last.c.node, last.c.kind, last.c.detail).select_from(Call).join(last, true())
    else:  # SQLite has no LATERAL: the last step's id per call, then its row
        last_id = (
            select(step.c.id)
            .where(step.c.call_id == Call.id, step.c.node != "")
            .order_by(*latest)
            .limit(1)
            .scalar_subquery()
        )
        steps = (
            select(CallEvent.node, CallEvent.kind, CallEvent.detail)
            .select_from(Call)
            .join(CallEvent, CallEvent.id == last_id)
        )
    last_steps = steps.where(*ended).subquery()

    def detail(name: str) -> ColumnElement[str]:
        return func.coalesce(last_steps.c.detail[name].as_string(), "")

    served = or_(
        last_steps.c.kind.in_(SERVED),
        and_(
            last_steps.c.kind == "connect-result",
            detail("result").in_(CONNECTED),
        ),
        and_(
            last_steps.c.kind == "queue-left",
            detail("outcome") == "answered",
        ),
    )
    rows = db.execute(
        select(last_steps.c.node, func.count()).where(not_(served)).group_by(last_steps.c.node)
    ).all()
    return Counter(dict(rows))


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
