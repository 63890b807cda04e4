"""With Redis, menu steps reach the database through the call journal, once each."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from rq import SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ivr import db, jobs
from ivr.app import create_app
from ivr.calls import journal
from ivr.calls.events import Event
from ivr.calls.models import Call
from ivr.calls.store import Entry
from ivr.settings import load_settings
from ivr.simulator import Phone, flask_transport
from ivr.voicemail.models import Voicemail
from tests.conftest import AUTH_TOKEN, CENTRE_TZ, PUBLIC_URL, app_environ
from tests.harness import on_sqlite
from tests.voice.test_security import PARAMS, SID, post, sign

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test

CALLER = "+8643262012345"
WALK = [  # (kind, node, digits) of ["1", "2", "*"] in staffed hours, "enter" left out
    ("incoming", "welcome", ""),
    ("hours", "hours_check", ""),
    ("menu", "main_menu", ""),
    ("digits", "main_menu", "1"),
    ("option", "main_menu", "1"),
    ("menu", "info_menu", ""),
    ("digits", "info_menu", "2"),
    ("option", "info_menu", "2"),
    ("menu", "topic_medical", ""),
    ("digits", "topic_medical", "*"),
    ("back", "topic_medical", "*"),
    ("menu", "info_menu", ""),
    ("status", "", ""),
    ("end", "", ""),  # the first final status: the call's end, timed by us
]


@pytest.fixture
def staffed_hours():
    """A weekday morning in the centre, with the clock running (RQ schedules by it)."""
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=CENTRE_TZ), tick=True):
        yield


def make_app(database_url: str, connection, tmp_path: Path, redis_url: str):
    settings = load_settings(app_environ(database_url, tmp_path, REDIS_URL=redis_url))
    app = create_app({"SETTINGS": settings, "TESTING": True})
    app.extensions["ivr.db"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return app


@pytest.fixture
def app(database_url, connection, tmp_path, redis_url):
    return make_app(database_url, connection, tmp_path, redis_url)


def steps(app, sid: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        call = db.session().scalars(select(Call).where(Call.sid == sid)).one()
        return [(e.kind, e.node, e.digits) for e in call.events if e.kind != "enter"]


def run_worker(app) -> None:
    """A real RQ worker in burst mode, on the queues `ivr worker` serves."""
    queue = app.extensions["ivr.jobs"]
    jobs.worker_app = app
    try:
        SimpleWorker(
            [queue.queue(name) for name in ("events", "default")], connection=queue.connection
        ).work(burst=True, with_scheduler=True)
    finally:
        jobs.worker_app = None


def backlog(app) -> int:
    with app.app_context():
        return journal.journal().backlog()


def test_menu_steps_wait_in_the_journal_until_the_worker_writes_them(app, staffed_hours):
    transport = flask_transport(app.test_client(), PUBLIC_URL)
    phone = Phone(transport, PUBLIC_URL, AUTH_TOKEN, caller=CALLER)
    record = phone.call(["1", "2", "*"])
    assert record.heard[-1]  # the caller heard the whole walk

    # The call and its status are written at once, the menu steps later.
    assert steps(app, record.sid) == WALK[-2:]
    with app.app_context():
        call = db.session().scalars(select(Call).where(Call.sid == record.sid)).one()
    assert (call.from_number, call.status) == (CALLER, "completed")
    assert backlog(app) == 4  # one entry per webhook but the status callback

    time.sleep(journal.FLUSH_DELAY + 0.2)  # the flush job is due a second after the first step
    run_worker(app)
    assert steps(app, record.sid) == WALK  # in the order they happened
    assert backlog(app) == 0
    with app.app_context():  # the status callback created the row; the call began earlier
        call = db.session().scalars(select(Call).where(Call.sid == record.sid)).one()
        first = min(event.created_at for event in call.events)
    assert call.started_at == first


def test_a_voicemail_names_its_caller_before_the_journal_is_written(app, staffed_hours):
    """Twilio's recording callback does not name the caller; the message still does."""
    transport = flask_transport(app.test_client(), PUBLIC_URL)
    recording = f"https://api.twilio.com/2010-04-01/Accounts/{'AC' + '0' * 32}/Recordings/RE1"
    phone = Phone(transport, PUBLIC_URL, AUTH_TOKEN, caller=CALLER, recording_url=recording)
    record = phone.call(["2", "1"])
    assert backlog(app) > 0  # the menu steps are not written yet
    with app.app_context():
        message = db.session().scalars(select(Voicemail).where(Voicemail.call_sid == record.sid))
        assert message.one().caller == CALLER


def test_retried_menu_webhooks_are_written_once(app, client, redis_url):
    url = f"{PUBLIC_URL}/voice/incoming"
    assert post(client, "/voice/incoming", PARAMS, sign(url, PARAMS)).status_code == 200
    path = "/voice/input/main_menu?stack=&n=1&t=0"
    params = {**PARAMS, "Digits": "1"}
    for _ in range(3):  # Twilio retries: three entries in the journal
        assert post(client, path, params, sign(PUBLIC_URL + path, params)).status_code == 200
    assert backlog(app) == 4  # the incoming webhook, and the retried one three times
    result = app.test_cli_runner().invoke(args=["calls", "flush"])
    assert result.exit_code == 0 and "written: 4 request(s); waiting: 0" in result.output
    kinds = [kind for kind, _, _ in steps(app, SID)]
    assert kinds.count("incoming") == 1 and kinds.count("digits") == 1
    assert backlog(app) == 0


@pytest.mark.skipif(
    on_sqlite(),
    reason="SQLite does not enforce VARCHAR lengths: it stores a 300-character event kind",
)
def test_an_entry_the_database_refuses_is_set_aside_and_the_rest_written(app, caplog):
    good = Entry(SID, "+8643188881234", "+8643112333", "zh-CN", "k1", (Event("menu", "x"),), _now())
    bad = Entry(SID, "+8643188881234", "+8643112333", "zh-CN", "k2", (Event("x" * 300),), _now())
    with app.app_context():
        log = journal.journal()
        for entry in (good, bad, Entry(**{**good.__dict__, "key": "k3"})):
            log.append(entry)
        log.redis.xadd(journal.STREAM, {"entry": b"{not json"})  # not one of ours
        assert log.flush() == 2
        assert (log.backlog(), log.dead()) == (0, 2)
    assert [kind for kind, _, _ in steps(app, SID)] == ["menu", "menu"]
    assert "refused by the database" in caplog.text and "unreadable" in caplog.text


def test_without_redis_reachable_webhooks_write_directly(
    database_url, connection, tmp_path, staffed_hours
):
    app = make_app(database_url, connection, tmp_path, "redis://127.0.0.1:1/0")
    phone = Phone(flask_transport(app.test_client(), PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN)
    record = phone.call(["1", "2", "*"])
    assert steps(app, record.sid) == WALK


def test_while_the_database_is_down_menu_steps_wait_in_the_journal(
    tmp_path, redis_url, staffed_hours
):
    down = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1"
    app = create_app({"SETTINGS": load_settings(app_environ(down, tmp_path, REDIS_URL=redis_url))})
    phone = Phone(flask_transport(app.test_client(), PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN)
    phone.call(["1"], sid=SID)
    assert backlog(app) == 2  # the incoming webhook and the key


def test_metrics_show_the_journal_backlog(app, client, staffed_hours):
    phone = Phone(flask_transport(client, PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN)
    phone.call(["1"])
    text = client.get("/metrics").get_data(as_text=True)
    assert "ivr_call_journal_backlog 2.0" in text  # the incoming webhook and the key
    assert "ivr_call_journal_dead 0.0" in text


def _now() -> datetime:
    return datetime.now(CENTRE_TZ)


def test_without_redis_there_is_no_journal_to_flush(database_url, connection, tmp_path):
    settings = load_settings(app_environ(database_url, tmp_path))
    result = create_app({"SETTINGS": settings}).test_cli_runner().invoke(args=["calls", "flush"])
    assert result.exit_code == 0
    assert "no call journal (REDIS_URL is not set)" in result.output
