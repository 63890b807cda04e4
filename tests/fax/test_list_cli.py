"""``ivr fax list``: centre time with its offset (as ``voicemail list``), a line when empty."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ivr import db
from ivr.fax.models import FaxRequest


def test_list_says_so_when_there_are_no_requests(runner):
    assert runner.invoke(args=["fax", "list"]).output == "no fax requests\n"
    assert json.loads(runner.invoke(args=["fax", "list", "--json"]).output) == []


def test_list_shows_centre_time_with_its_offset(app, runner):
    with app.app_context():
        db.session().add(
            FaxRequest(
                call_sid="CA1",
                document_key="1",
                fax_number="043188881234",
                created_at=datetime(2026, 11, 30, 8, 21, 5, tzinfo=UTC),  # 16:21 in the centre
            )
        )
        db.session().commit()
    assert "2026-11-30 16:21 +08:00" in runner.invoke(args=["fax", "list"]).output
    [row] = json.loads(runner.invoke(args=["fax", "list", "--json"]).output)
    assert row["created_at"] == "2026-11-30T16:21:05+08:00"
