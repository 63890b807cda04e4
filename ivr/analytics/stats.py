"""Centre statistics from the call events: per centre, per day and per hour of a period.

Every figure is computed by the database, grouped: one row per call (its events
folded into flags and times), then one row per centre and local hour. Python only
adds those hourly rows up into days, hours of the day and centres. Trial calls
(the flow page's Try it) are left out. Days and hours are the centre's time zone
(``IVR_TIMEZONE``): the local hour is computed in SQL from the UTC time plus the
zone's offset, which changes at the zone's transitions within the period (none
in China). The measures are defined in the README, "Centre statistics".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from ivr.calls.models import Call, CallEvent
from ivr.complaints.deadlines import CATEGORIES
from ivr.complaints.models import Ticket, TicketContact, TicketStatus
from ivr.flows.loader import FlowBundle

SELF_SERVICE_OPTIONS = ("1", "3", "4")  # information, fax, personal account
# Reaching any of these is being served by someone: a queue, an agent, a number dialled
# (a switchboard, the complaint desk, another centre), the complaint desk, a message.
SERVED = ("enqueue", "agent-dial", "dial", "complaint-opened", "voicemail-recorded")
KINDS = (
    "incoming",
    "option",
    "queue-left",
    "agent-answered",
    "voicemail-discarded",
    "end",
    *SERVED,
)
MAX_DAYS = 366


class epoch(FunctionElement[int]):
    """Whole seconds since 1970-01-01 UTC of a stored time."""

    type = Integer()
    inherit_cache = True


@compiles(epoch)
def _epoch_sqlite(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@dataclass(frozen=True)
class Period:
    """Whole local days, ``first`` to ``last`` included, in ``zone``."""

    first: date
    last: date
    zone: tzinfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("the period ends before it starts")
        if (self.last - self.first).days >= MAX_DAYS:
            raise ValueError(f"a period is at most {MAX_DAYS} days")

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone).astimezone(UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def offsets(self) -> list[tuple[int, int]]:
        """(from epoch second, UTC offset in seconds) of the zone over the period."""

        def offset(at: int) -> int:
            delta = datetime.fromtimestamp(at, UTC).astimezone(self.zone).utcoffset()
            return int(delta.total_seconds()) if delta else 0

        start, end = int(self.start.timestamp()), int(self.end.timestamp())
        found = [(start, offset(start))]
        for hour in range(start + 3600, end + 3600, 3600):
            if offset(hour) != found[-1][1]:
                low, high = hour - 3600, hour  # the transition is in (low, high]: find it
                while high - low > 1:
                    middle = (low + high) // 2
                    low, high = (middle, high) if offset(middle) == found[-1][1] else (low, middle)
                found.append((high, offset(high)))
        return found

    def local_hour(self, when: Any) -> ColumnElement[int]:
        """Hours since 1970-01-01 00:00 local time of a stored time, in SQL."""
        seconds = epoch(when)
        (_, current), *changes = self.offsets()
        steps = []
        for at, offset in changes:
            steps.append((seconds < at, current))
            current = offset
        shift = case(*steps, else_=current) if steps else literal(current)
        return (seconds + shift) // 3600


def hour_start(local_hour: int) -> datetime:
    """The naive local time a ``local_hour`` bucket starts at."""
    return datetime(1970, 1, 1) + timedelta(hours=local_hour)


@dataclass
class Figures:
    """Sums and maxima that add up across hours and centres; the measures derive from them."""

    offered: int = 0
    self_service: int = 0
    gave_up: int = 0
    to_agents: int = 0
    answered: int = 0
    answered_within: int = 0
    answer_wait: int = 0  # seconds, summed over answered calls
    abandoned: int = 0
    abandon_wait: int = 0  # seconds, summed over abandoned calls
    longest_abandon: int | None = None
    overflowed: int = 0
    longest_wait: int | None = None
    talk: int = 0  # seconds, summed over the answered calls timed
    talked: int = 0  # answered calls timed
    voicemails: int = 0

    def add(self, other: Figures) -> None:
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if item.name.startswith("longest"):
                if theirs is not None and (mine is None or theirs > mine):
                    setattr(self, item.name, theirs)
            else:
                setattr(self, item.name, mine + theirs)

    @property
    def average_answer(self) -> float | None:
        return self.answer_wait / self.answered if self.answered else None

    @property
    def service_level(self) -> float | None:
        return self.answered_within / self.to_agents if self.to_agents else None

    @property
    def average_abandon(self) -> float | None:
        return self.abandon_wait / self.abandoned if self.abandoned else None

    @property
    def average_talk(self) -> float | None:
        return self.talk / self.talked if self.talked else None


@dataclass
class ComplaintFigures:
    received: int = 0
    closed_in_time: int = 0
    closed_late: int = 0
    overdue: int = 0
    followed_up: int = 0

    def add(self, other: ComplaintFigures) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


@dataclass
class Report:
    period: Period
    centre: str  # "" for every centre
    by_centre: dict[str, Figures] = field(default_factory=dict)
    by_day: dict[date, Figures] = field(default_factory=dict)
    by_hour: dict[int, Figures] = field(default_factory=dict)  # hour of the day, 0-23
    total: Figures = field(default_factory=Figures)
    complaints: dict[str, ComplaintFigures] = field(default_factory=dict)  # by category
    complaints_total: ComplaintFigures = field(default_factory=ComplaintFigures)


def top_menus(bundle: FlowBundle) -> list[str]:
    """The menus an hours check leads to (the main menu and the reduced one): where
    options 1, 3 and 4 are self-service."""
    found = []
    for node in bundle.nodes.values():
        if node.type == "hours":
            for branch in ("open", "closed"):
                target = bundle.nodes.get(node.fields.get(branch, ""))
                if target is not None and target.type == "menu" and target.id not in found:
                    found.append(target.id)
    return found


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.max(case((condition, 1), else_=0))


def per_call(period: Period, menus: Iterable[str]) -> Any:
    """One row per call of the period: where it was routed, and what happened to it."""
    kind, detail = CallEvent.kind, CallEvent.detail
    centre = detail["centre"].as_string()
    waited = detail["waited"].as_integer()
    outcome = detail["outcome"].as_string()
    left = kind == "queue-left"

    def centre_of(of: str) -> ColumnElement[str]:
        return func.max(case((kind == of, centre)))

    def count(of: str) -> ColumnElement[int]:
        return func.sum(case((kind == of, 1), else_=0))

    return (
        select(
            period.local_hour(Call.started_at).label("hour"),
            func.coalesce(
                centre_of("enqueue"), centre_of("agent-dial"), centre_of("incoming"), ""
            ).label("centre"),
            _flag(kind == "option").label("self_option"),  # only those options are read
            _flag(kind.in_(SERVED)).label("served"),
            _flag(kind == "end").label("ended"),
            _flag(kind.in_(("enqueue", "agent-dial"))).label("to_agents"),
            _flag(kind == "agent-answered").label("answered"),
            func.max(case((left, waited))).label("waited"),
            _flag(and_(left, outcome == "hung-up")).label("abandoned"),
            func.max(case((and_(left, outcome == "hung-up"), waited))).label("abandon_wait"),
            _flag(and_(left, outcome == "overflowed")).label("overflowed"),
            func.max(case((kind == "agent-dial", epoch(CallEvent.created_at)))).label("offered_at"),
            func.max(case((kind == "agent-answered", epoch(CallEvent.created_at)))).label(
                "answered_at"
            ),
            (count("voicemail-recorded") - count("voicemail-discarded")).label("voicemails"),
        )
        .select_from(Call)
        .join(CallEvent, CallEvent.call_id == Call.id)
        .where(
            Call.trial.is_(False),
            Call.started_at >= period.start,
            Call.started_at < period.end,
            CallEvent.kind.in_(KINDS),
            CallEvent.created_at >= period.start,
            or_(
                CallEvent.kind != "option",
                and_(
                    CallEvent.node.in_(list(menus)),
                    CallEvent.digits.in_(SELF_SERVICE_OPTIONS),
                ),
            ),
        )
        .group_by(Call.id, Call.started_at)
        .subquery("per_call")
    )


def hourly(period: Period, menus: Iterable[str], service_level_seconds: int) -> Any:
    """The figures per centre and local hour, as SQL (also what the benchmark prints)."""
    c = per_call(period, menus).c
    answered = c.answered == 1
    wait = func.coalesce(c.waited, 0)  # answered at once: no wait
    unserved = and_(c.ended == 1, c.served == 0)
    talked = and_(answered, c.offered_at.is_not(None), c.answered_at >= c.offered_at)

    def total(condition: ColumnElement[bool], value: Any = 1) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    return select(
        c.centre,
        c.hour,
        func.count().label("offered"),
        total(and_(unserved, c.self_option == 1)).label("self_service"),
        total(and_(unserved, c.self_option == 0)).label("gave_up"),
        total(c.to_agents == 1).label("to_agents"),
        total(answered).label("answered"),
        total(and_(answered, wait <= service_level_seconds)).label("answered_within"),
        total(answered, wait).label("answer_wait"),
        total(c.abandoned == 1).label("abandoned"),
        total(c.abandoned == 1, func.coalesce(c.abandon_wait, 0)).label("abandon_wait"),
        func.max(c.abandon_wait).label("longest_abandon"),
        total(c.overflowed == 1).label("overflowed"),
        func.max(c.waited).label("longest_wait"),
        total(talked, c.answered_at - c.offered_at).label("talk"),
        total(talked).label("talked"),
        func.coalesce(func.sum(c.voicemails), 0).label("voicemails"),
    ).group_by(c.centre, c.hour)


def complaints(period: Period, now: datetime) -> Any:
    """Tickets opened in the period per category and caller's centre (None without a call)."""
    centre = (
        select(func.max(CallEvent.detail["centre"].as_string()))
        .where(CallEvent.call_id == Ticket.call_id, CallEvent.kind == "incoming")
        .scalar_subquery()
    )
    closed = Ticket.status == TicketStatus.CLOSED
    open_ = Ticket.status.in_((TicketStatus.RECEIVED, TicketStatus.IN_PROGRESS))
    in_time = and_(closed, Ticket.handled_at <= Ticket.due_at)
    follow_up = Ticket.status == TicketStatus.FOLLOW_UP
    reached = exists().where(
        TicketContact.ticket_id == Ticket.id, TicketContact.outcome == "reached"
    )

    def flag(condition: ColumnElement[bool], name: str) -> Any:
        return case((condition, 1), else_=0).label(name)

    tickets = (
        select(
            Ticket.category,
            centre.label("centre"),
            flag(in_time, "closed_in_time"),
            flag(and_(closed, ~in_time), "closed_late"),
            flag(
                or_(
                    and_(open_, Ticket.due_at < now),
                    and_(follow_up, Ticket.follow_up_due_at < now),
                ),
                "overdue",
            ),
            flag(reached, "followed_up"),
        )
        .outerjoin(Call, Call.id == Ticket.call_id)
        .where(
            Ticket.opened_at >= period.start,
            Ticket.opened_at < period.end,
            or_(Call.id.is_(None), Call.trial.is_(False)),
        )
        .subquery("tickets")
    ).c
    return select(
        tickets.category,
        tickets.centre,
        func.count().label("received"),
        *[
            func.sum(getattr(tickets, name)).label(name)
            for name in ("closed_in_time", "closed_late", "overdue", "followed_up")
        ],
    ).group_by(tickets.category, tickets.centre)


def _whole(value: Any) -> Any:
    """A sum or maximum as an int (PostgreSQL's sums of integers are numeric), or None."""
    return None if value is None else int(value)


def report(
    db: Session,
    period: Period,
    bundle: FlowBundle,
    *,
    centre: str = "",
    service_level_seconds: int = 20,
    now: datetime | None = None,
) -> Report:
    """The period's figures: every centre's, and by day and hour for ``centre`` ("" all)."""
    result = Report(period=period, centre=centre)
    result.by_day = {day: Figures() for day in period.days()}
    result.by_hour = {hour: Figures() for hour in range(24)}
    names = [item.name for item in fields(Figures)]
    for row in db.execute(hourly(period, top_menus(bundle), service_level_seconds)).mappings():
        figures = Figures(**{name: _whole(row[name]) for name in names})
        result.by_centre.setdefault(row["centre"], Figures()).add(figures)
        if centre and row["centre"] != centre:
            continue
        start = hour_start(row["hour"])
        result.by_day.setdefault(start.date(), Figures()).add(figures)
        result.by_hour[start.hour].add(figures)
        result.total.add(figures)
    counted = [item.name for item in fields(ComplaintFigures)]
    result.complaints = {category: ComplaintFigures() for category in CATEGORIES}
    for row in db.execute(complaints(period, now or datetime.now(UTC))).mappings():
        if centre and (row["centre"] or "") != centre:
            continue
        tickets = ComplaintFigures(**{name: _whole(row[name]) or 0 for name in counted})
        result.complaints.setdefault(row["category"], ComplaintFigures()).add(tickets)
        result.complaints_total.add(tickets)
    return result
