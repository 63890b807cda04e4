"""Every response that serves a recording's bytes is covered by a "listen" audit row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ivr.clock import utcnow
from ivr.staff.models import AuditEvent, User
from tests.webapp.conftest import log_in
from tests.webapp.test_voicemail import audits, write_wav


@pytest.fixture
def message(app, make_voicemail) -> int:
    relative = "voicemail/2026/11/23/RE9.wav"
    write_wav(app.config["SETTINGS"].recordings_dir / relative, seconds=2.0)
    return make_voicemail(download_status="downloaded", audio_path=relative)


@pytest.mark.parametrize(
    "range_header",
    ["bytes=00-", "bytes=1-", "bytes=-100", "bytes=100-199", "BYTES=1-"],
)
def test_a_listen_starting_anywhere_is_audited(staff_client, message, data, range_header):
    with staff_client.get(
        f"/staff/voicemail/{message}/audio", headers={"Range": range_header}
    ) as response:
        assert response.status_code in (200, 206)
        assert response.data
    (listen,) = audits(data, "listen")
    assert listen.object_type == "voicemail" and listen.object_id == str(message)
    assert listen.user_id is not None


def test_later_ranges_of_a_recent_listen_add_no_row(staff_client, message, data):
    url = f"/staff/voicemail/{message}/audio"
    for header in ("bytes=5-", "bytes=1000-", "bytes=-10", "bytes=2000-2999"):
        with staff_client.get(url, headers={"Range": header}) as response:
            assert response.status_code == 206
    assert len(audits(data, "listen")) == 1


def test_a_listen_older_than_half_an_hour_does_not_cover_a_new_one(staff_client, message, data):
    url = f"/staff/voicemail/{message}/audio"
    with staff_client.get(url, headers={"Range": "bytes=1-"}):
        pass
    with data() as session:
        session.execute(update(AuditEvent).values(created_at=utcnow() - timedelta(minutes=31)))
    with staff_client.get(url, headers={"Range": "bytes=1-"}):
        pass
    assert len(audits(data, "listen")) == 2


def test_another_users_listen_does_not_cover_mine(app, staff_client, message, make_user, data):
    url = f"/staff/voicemail/{message}/audio"
    with staff_client.get(url):
        pass
    make_user("li", "team_leader")
    other = app.test_client()
    assert log_in(other, "li").status_code == 302
    with other.get(url, headers={"Range": "bytes=1-"}) as response:
        assert response.status_code == 206
    listens = audits(data, "listen")
    with data() as session:
        li = session.scalar(select(User.id).where(User.username == "li"))
    assert len(listens) == 2 and li in {event.user_id for event in listens}
