"""Every call and step is stored once, however often Twilio retries."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ivr.calls.models import Call
from tests.conftest import PUBLIC_URL
from tests.voice.test_security import PARAMS, SID, post, sign

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test


def events(db_session, sid: str) -> list[tuple[str, str, str]]:
    call = db_session.scalars(select(Call).where(Call.sid == sid)).one()
    return [(e.kind, e.node, e.digits) for e in call.events]


def test_a_walk_records_the_call_and_each_step(phone, db_session, at):
    at(2026, 11, 23, 10, 0)
    record = phone.call(["1", "2", "*", "7"])
    call = db_session.scalars(select(Call).where(Call.sid == record.sid)).one()
    assert call.from_number == "+8643262012345" and call.locale == "zh-CN"
    assert call.status == "completed"
    steps = [(k, n, d) for k, n, d in events(db_session, record.sid) if k != "enter"]
    assert steps == [
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
        ("digits", "info_menu", "7"),
        ("option", "info_menu", "7"),
        ("menu", "topic_wages", ""),
        ("status", "", ""),
        ("end", "", ""),
    ]


def test_retried_webhooks_change_the_database_once(client, db_session, at):
    at(2026, 11, 23, 10, 0)
    url = f"{PUBLIC_URL}/voice/incoming"
    first = [post(client, "/voice/incoming", PARAMS, sign(url, PARAMS)) for _ in range(3)]
    assert {r.status_code for r in first} == {200}
    assert len({r.data for r in first}) == 1  # the same answer each time
    path = "/voice/input/main_menu?stack=&n=1&t=0"
    params = {**PARAMS, "Digits": "1"}
    for _ in range(3):
        assert post(client, path, params, sign(PUBLIC_URL + path, params)).status_code == 200
    assert db_session.scalar(select(func.count()).select_from(Call)) == 1
    kinds = [k for k, _, _ in events(db_session, SID)]
    assert kinds.count("incoming") == 1 and kinds.count("digits") == 1


def test_status_callbacks_out_of_order_keep_the_final_status(client, db_session):
    url = f"{PUBLIC_URL}/voice/status"
    for status, extra in (
        ("completed", {"CallDuration": "42"}),
        ("ringing", {}),
        ("in-progress", {}),
    ):
        params = {**PARAMS, "CallStatus": status, **extra}
        assert post(client, "/voice/status", params, sign(url, params)).status_code == 204
    call = db_session.scalars(select(Call).where(Call.sid == SID)).one()
    assert (call.status, call.duration) == ("completed", 42)
    assert call.ended_at is not None
