"""The call's end and its caller's centre: recorded once, by our own clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from ivr.calls.models import Call
from tests.conftest import CENTRE_TZ, PUBLIC_URL
from tests.voice.test_security import PARAMS, SID, post, sign

pytestmark = pytest.mark.sqlite


def webhook(client, path: str, **params: str) -> None:
    form = {**PARAMS, **params}
    assert post(client, path, form, sign(PUBLIC_URL + path, form)).status_code in (200, 204)


def test_the_end_is_recorded_once_with_our_duration_and_the_callers_centre(
    client, db_session, time_machine
):
    time_machine.move_to(datetime(2026, 11, 23, 10, 0, tzinfo=CENTRE_TZ), tick=False)
    webhook(client, "/voice/incoming", CallStatus="ringing")
    time_machine.shift(timedelta(seconds=95))
    for _ in range(2):  # Twilio retries the callback
        webhook(client, "/voice/status", CallStatus="completed", CallDuration="7")
    webhook(client, "/voice/status", CallStatus="canceled")  # a late, different one
    call = db_session.scalars(select(Call).where(Call.sid == SID)).one()
    [incoming] = [e.detail for e in call.events if e.kind == "incoming"]
    assert incoming == {"centre": "0431"}  # a Changchun landline
    ends = [e.detail for e in call.events if e.kind == "end"]
    assert ends == [{"status": "completed", "duration": 95}]  # not Twilio's CallDuration
