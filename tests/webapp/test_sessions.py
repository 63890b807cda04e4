"""Sessions end on the server: at logout (even for a copied cookie), when idle too long."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.settings import SettingsError, load_settings
from ivr.staff.models import AuditEvent
from tests.harness import app_environ
from tests.webapp.conftest import csrf_token, log_in

PAGE = "/staff/voicemail"


def _logged_in(client) -> bool:
    response = client.get(PAGE)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    return False


def _copy(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _log_out(client) -> None:
    token = csrf_token(client.get(PAGE).get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_a_copied_cookie_stops_working_at_logout(app, staff_client, data):
    thief = _copy(app, staff_client)
    assert _logged_in(thief)

    _log_out(staff_client)

    assert not _logged_in(staff_client)
    assert not _logged_in(thief)
    with data() as session:
        login = session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
        logout = session.scalar(select(AuditEvent).where(AuditEvent.action == "logout"))
        assert login.detail["ended_by"] == "logout" and login.detail["ended_at"]
        assert logout.user_id == login.user_id


def test_logging_out_ends_only_that_session(app, staff_client):
    other_browser = app.test_client()
    assert log_in(other_browser, "wang").status_code == 302

    _log_out(staff_client)

    assert _logged_in(other_browser)


def test_a_copied_cookie_stops_working_when_the_user_is_deactivated(app, staff_client, data):
    from ivr.staff.models import User

    thief = _copy(app, staff_client)
    with data() as session:
        session.scalar(select(User).where(User.username == "wang")).active = False
    assert not _logged_in(thief)
    assert not _logged_in(staff_client)


def test_an_idle_session_ends(staff_client):
    with staff_client.session_transaction() as session:
        session["seen"] -= 7 * 3600
    assert _logged_in(staff_client)  # 7 hours idle: still in, and the clock restarts
    with staff_client.session_transaction() as session:
        assert session["seen"] > 0
        session["seen"] -= 8 * 3600 + 1
    assert not _logged_in(staff_client)


def test_the_idle_limit_is_a_setting(app, staff_client):
    app.config["SETTINGS"] = load_settings(
        {
            **app_environ("sqlite://", app.config["SETTINGS"].recordings_dir.parent),
            "IVR_SESSION_IDLE_HOURS": "1",
        }
    )
    with staff_client.session_transaction() as session:
        session["seen"] -= 3601
    assert not _logged_in(staff_client)


def test_a_session_from_before_this_check_no_longer_counts(staff_client):
    with staff_client.session_transaction() as session:
        del session["login_event"]
    assert not _logged_in(staff_client)


def test_a_session_cannot_borrow_another_users_login(app, staff_client, make_user, data):
    make_user("li", "team_leader")
    other = app.test_client()
    assert log_in(other, "li").status_code == 302
    with data() as session:
        li_login = session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "login").order_by(AuditEvent.id.desc())
        )
    with staff_client.session_transaction() as session:
        session["login_event"] = li_login
    assert not _logged_in(staff_client)


@pytest.mark.parametrize(("raw", "hours"), [("", 8), ("2", 2), (" 12 ", 12)])
def test_ivr_session_idle_hours_is_parsed(tmp_path, raw, hours):
    environ = {**app_environ("sqlite://", tmp_path), "IVR_SESSION_IDLE_HOURS": raw}
    assert load_settings(environ).session_idle_hours == hours


@pytest.mark.parametrize("raw", ["0", "-1", "eight", "1.5"])
def test_a_bad_ivr_session_idle_hours_names_the_variable(tmp_path, raw):
    environ = {**app_environ("sqlite://", tmp_path), "IVR_SESSION_IDLE_HOURS": raw}
    with pytest.raises(SettingsError, match="IVR_SESSION_IDLE_HOURS"):
        load_settings(environ)
