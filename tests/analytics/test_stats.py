"""Each centre statistic against small sets of calls computed by hand.

Events are inserted as the webhooks write them (kinds, nodes, details, our own
times) for the edge cases; tests/agents/test_queue_events.py and the walks at
the end build them through the real webhooks.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app

from ivr.analytics.stats import Period, report, top_menus
from ivr.calls.models import Call, CallEvent
from ivr.complaints.models import Ticket, TicketContact
from tests.harness import CENTRE_TZ

pytestmark = pytest.mark.sqlite

DAY = date(2026, 11, 23)
TEN = datetime(2026, 11, 23, 10, 0, tzinfo=CENTRE_TZ)  # 02:00 UTC
SIDS = (f"CA{n:032x}" for n in itertools.count(1))


def step(seconds: float, kind: str, node: str = "", digits: str = "", **detail) -> tuple:
    return seconds, kind, node, digits, detail


def add_call(db, start: datetime, *steps: tuple, centre="0432", trial=False) -> Call:
    """A call from ``centre``'s area starting at ``start``: incoming, ``steps``, its end."""
    call = Call(sid=next(SIDS), locale="zh-CN", started_at=start, trial=trial)
    db.add(call)
    db.flush()
    walk = [step(0, "incoming", "welcome", centre=centre), *steps]
    last = max(seconds for seconds, *_ in walk)
    walk.append(step(last + 1, "end", status="completed", duration=int(last + 1)))
    for n, (seconds, kind, node, digits, detail) in enumerate(walk):
        at = start + timedelta(seconds=seconds)
        db.add(
            CallEvent(
                call_id=call.id,
                key=f"k{n}",
                kind=kind,
                node=node,
                digits=digits,
                detail=detail,
                created_at=at,
            )
        )
    db.flush()
    return call


def self_service(db, start=TEN, **options) -> Call:
    return add_call(db, start, step(5, "option", "main_menu", "1", target="info_menu"), **options)


def stats(db, first=DAY, last=DAY, **options):
    bundle = current_app.extensions["ivr.flows"]
    return report(db, Period(first, last, CENTRE_TZ), bundle, **options)


@pytest.fixture
def day(db_session):
    """One day of 0432's calls, and one of the provincial centre's."""
    db = db_session
    self_service(db)
    add_call(db, TEN, step(3, "invalid", "main_menu", "7"))  # hung up in the menus
    add_call(  # waits 30 s in line, then talks 120 s
        db,
        TEN,
        step(5, "option", "main_menu", "0"),
        step(6, "enqueue", "agent", queue="jilin", centre="0432", position=2),
        step(36, "queue-left", "agent", outcome="answered", waited=30, centre="0432"),
        step(36, "agent-dial", "agent", agent=1, centre="0432"),
        step(156, "agent-answered", "agent", agent=1, centre="0432"),
    )
    add_call(  # a free agent at once, talks 60 s
        db,
        TEN + timedelta(hours=1),
        step(5, "agent-dial", "agent", agent=2, centre="0432"),
        step(65, "agent-answered", "agent", agent=2, centre="0432"),
    )
    add_call(  # hangs up after 45 s in line
        db,
        TEN + timedelta(hours=1),
        step(6, "enqueue", "agent", queue="jilin", centre="0432", position=1),
        step(51, "queue-left", "agent", outcome="hung-up", waited=45, centre="0432"),
    )
    add_call(  # leaves a message (recorded twice, the first discarded)
        db,
        TEN,
        step(5, "option", "main_menu", "2", target="voicemail"),
        step(30, "voicemail-recorded", "voicemail", recording_sid="RE1"),
        step(35, "voicemail-discarded", "voicemail", "2", recording_sid="RE1"),
        step(60, "voicemail-recorded", "voicemail", recording_sid="RE2"),
        step(65, "voicemail-kept", "voicemail", "1", recording_sid="RE2"),
    )
    add_call(  # a fax, then an agent who does not answer: not self-service
        db,
        TEN,
        step(5, "option", "main_menu", "3", target="fax"),
        step(50, "option", "main_menu", "0", target="agent"),
        step(51, "agent-dial", "agent", agent=1, centre="0432"),
        step(71, "agent-missed", "agent", result="no-answer", agent=1, centre="0432"),
    )
    self_service(db, trial=True)  # a Try-it walk: counted nowhere
    add_call(  # a Changchun caller who chose the provincial centre: counted there
        db,
        TEN,
        step(5, "option", "agent", "1", centre="provincial"),
        step(6, "enqueue", "agent", queue="province", centre="provincial", position=1),
        step(16, "queue-left", "agent", outcome="answered", waited=10, centre="provincial"),
        step(16, "agent-dial", "agent", agent=3, centre="provincial"),
        step(46, "agent-answered", "agent", agent=3, centre="provincial"),
        centre="0431",
    )
    db.commit()


def test_each_call_measure_of_a_centre(day, db_session):
    figures = stats(db_session, centre="0432").total
    assert figures.offered == 7  # the trial call left out, the provincial one elsewhere
    assert figures.self_service == 1  # option 1 and nothing more
    assert figures.gave_up == 1  # nothing but the menus
    assert figures.to_agents == 4
    assert figures.answered == 2
    assert figures.average_answer == 15  # (30 + 0) / 2
    assert figures.service_level == 0.25  # 1 of the 4 answered within 20 s
    assert figures.abandoned == 1 and figures.average_abandon == 45
    assert figures.longest_abandon == 45
    assert figures.longest_wait == 45
    assert figures.average_talk == 90  # (120 + 60) / 2
    assert figures.voicemails == 1


def test_the_service_level_threshold_is_a_setting(day, db_session):
    assert stats(db_session, centre="0432", service_level_seconds=30).total.service_level == 0.5


def test_figures_by_centre_day_and_hour(day, db_session):
    result = stats(db_session)
    assert {code: f.offered for code, f in result.by_centre.items()} == {"0432": 7, "provincial": 1}
    provincial = result.by_centre["provincial"]
    assert (provincial.answered, provincial.average_answer, provincial.average_talk) == (1, 10, 30)
    assert result.total.offered == 8
    assert result.by_day[DAY].offered == 8
    assert [result.by_hour[h].offered for h in (9, 10, 11, 12)] == [0, 6, 2, 0]
    assert result.by_hour[11].to_agents == 2


def test_trial_calls_are_left_out(db_session):
    self_service(db_session, trial=True)
    db_session.commit()
    result = stats(db_session)
    assert result.total.offered == 0 and not result.by_centre


def test_days_and_hours_are_the_centres(db_session):
    """23:30 and 00:30 in the centre are both 15:xx / 16:xx UTC of the 23rd."""
    late = datetime(2026, 11, 23, 23, 30, tzinfo=CENTRE_TZ)
    self_service(db_session, late)
    self_service(db_session, late + timedelta(hours=1))
    self_service(db_session, datetime(2026, 11, 23, 0, 10, tzinfo=CENTRE_TZ))  # 16:10 UTC 22nd
    db_session.commit()
    result = stats(db_session, DAY, DAY + timedelta(days=1))
    assert {d: f.offered for d, f in result.by_day.items()} == {DAY: 2, DAY + timedelta(days=1): 1}
    assert (result.by_hour[23].offered, result.by_hour[0].offered) == (1, 2)
    assert stats(db_session, DAY - timedelta(days=1), DAY - timedelta(days=1)).total.offered == 0


def test_a_zone_with_summer_time_counts_each_call_in_its_local_hour():
    zone = ZoneInfo("Europe/Berlin")  # clocks go back at 01:00 UTC on 2026-10-25
    period = Period(date(2026, 10, 24), date(2026, 10, 26), zone)
    changes = period.offsets()
    assert [offset for _, offset in changes] == [7200, 3600]
    assert datetime.fromtimestamp(changes[1][0], UTC) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)


def test_complaints_by_category_deadlines_and_follow_ups(db_session):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=CENTRE_TZ)
    opened = TEN

    def ticket(category, **values):
        item = Ticket(
            category=category,
            matter="service",
            opened_at=opened,
            due_at=opened + timedelta(hours=12),
            **values,
        )
        db_session.add(item)
        return item

    ticket(
        "complaint",
        status="closed",
        handled_at=opened + timedelta(hours=2),
        closed_at=opened + timedelta(days=1),
    )
    ticket(
        "complaint",
        status="closed",
        handled_at=opened + timedelta(hours=20),
        closed_at=opened + timedelta(days=1),
    )
    ticket("complaint", status="in_progress")  # past its 12 hours: overdue
    followed = ticket(
        "report",
        status="follow_up",
        handled_at=opened + timedelta(hours=1),
        follow_up_due_at=opened + timedelta(hours=73),
    )
    followed.contacts.append(TicketContact(at=opened + timedelta(hours=3), outcome="reached"))
    ticket(
        "report",
        status="follow_up",
        handled_at=opened + timedelta(hours=1),
        follow_up_due_at=now + timedelta(hours=1),
    )
    trial = self_service(db_session, trial=True)
    ticket("complaint", call_id=trial.id)  # from a trial call: left out
    opened = TEN - timedelta(days=2)
    ticket("complaint")  # before the period
    db_session.commit()

    result = stats(db_session, now=now)
    complaint, report_ = result.complaints["complaint"], result.complaints["report"]
    assert (complaint.received, complaint.closed_in_time, complaint.closed_late) == (3, 1, 1)
    assert complaint.overdue == 1
    assert (report_.received, report_.followed_up, report_.overdue) == (2, 1, 0)
    assert result.complaints_total.received == 5


def test_self_service_options_are_at_the_menus_after_the_hours_check(app):
    assert top_menus(app.extensions["ivr.flows"]) == ["main_menu", "reduced_menu"]


# --- through the real webhooks -------------------------------------------------
def test_walked_calls_are_counted_self_service_or_given_up(phone, db_session, at):
    at(2026, 11, 23, 10, 0)
    phone.call(["1", "2"])  # information, a topic, then hangs up
    phone.call(["8"])  # a wrong key, then hangs up
    result = stats(db_session)
    assert result.by_centre["0432"].offered == 2
    assert (result.total.self_service, result.total.gave_up) == (1, 1)
    assert result.by_hour[10].offered == 2
