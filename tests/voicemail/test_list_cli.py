"""``ivr voicemail list``: centre time with its offset, and a line when there is nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ivr import db
from ivr.voicemail.models import Voicemail

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test


def add(app, sid: str, state: str = "recorded") -> None:
    with app.app_context():
        db.session().add(
            Voicemail(
                call_sid="CA" + sid,
                recording_sid="RE" + sid,
                caller="+8643188881234",
                state=state,
                created_at=datetime(2026, 11, 30, 8, 21, 5, tzinfo=UTC),  # 16:21 in the centre
            )
        )
        db.session().commit()


def test_list_says_so_when_there_are_no_messages(app, runner):
    assert runner.invoke(args=["voicemail", "list"]).output == "no voicemail messages\n"
    assert json.loads(runner.invoke(args=["voicemail", "list", "--json"]).output) == []
    add(app, "1", state="empty")
    listed = runner.invoke(args=["voicemail", "list"]).output
    assert listed.startswith("no voicemail messages") and "--all" in listed
    assert "+8643188881234" in runner.invoke(args=["voicemail", "list", "--all"]).output


def test_list_shows_centre_time_with_its_offset(app, runner):
    add(app, "2")
    assert "2026-11-30 16:21 +08:00" in runner.invoke(args=["voicemail", "list"]).output
    [row] = json.loads(runner.invoke(args=["voicemail", "list", "--json"]).output)
    assert row["created_at"] == "2026-11-30T16:21:05+08:00"
