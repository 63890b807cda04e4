"""Login, logout and sessions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr.staff.models import ROLES, AuditEvent, User
from tests.webapp.conftest import CSRF, PASSWORD, csrf_token, log_in
from webapp.access import PERMISSIONS, can, permission_required, permission_table

FAILED = "Wrong username or password"


def test_login_with_the_right_password_opens_the_start_page(client, make_user, data):
    user_id = make_user("wang", "staff", name="王芳")

    response = log_in(client, "wang")

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    page = client.get("/staff/").get_data(as_text=True)
    assert "王芳" in page and "工作人员 Staff" in page
    with data() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == user_id))
        assert list(actions) == ["login"]


def test_the_sites_address_leads_to_the_login_then_the_start_page(client, make_user):
    make_user("wang", "staff", name="王芳")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").headers["Location"].startswith("/login")
    log_in(client, "wang")
    assert client.get("/", follow_redirects=True).request.path == "/staff/"


def test_a_failed_login_does_not_say_whether_the_user_exists(client, make_user):
    make_user("wang")

    wrong_password = log_in(client, "wang", "not the password")
    unknown_user = log_in(client, "nobody", PASSWORD)

    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert FAILED in response.get_data(as_text=True)
    # The same page apart from the username typed (and the CSRF token's timestamp).
    pages = [
        CSRF.sub("", r.get_data(as_text=True).replace(name, "NAME"))
        for r, name in ((wrong_password, "wang"), (unknown_user, "nobody"))
    ]
    assert pages[0] == pages[1]
    assert client.get("/staff/").status_code == 302


def test_a_deactivated_user_cannot_log_in(client, make_user):
    make_user("li", active=False)

    response = log_in(client, "li")

    assert response.status_code == 200
    assert FAILED in response.get_data(as_text=True)


def test_deactivating_a_user_ends_their_session(staff_client, data):
    with data() as session:
        session.scalars(select(User).where(User.username == "wang")).one().active = False

    response = staff_client.get("/staff/voicemail")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_password_change_ends_the_old_sessions(staff_client, data):
    with data() as session:
        session.scalars(select(User).where(User.username == "wang")).one().set_password(
            "new pass 12333"
        )

    assert staff_client.get("/staff/").status_code == 302


def test_logout_is_a_post_with_a_csrf_token(staff_client):
    page = staff_client.get("/staff/").get_data(as_text=True)
    assert staff_client.get("/logout").status_code == 405
    assert staff_client.post("/logout").status_code == 400  # no token

    response = staff_client.post("/logout", data={"csrf_token": csrf_token(page)})

    assert response.status_code == 302
    assert staff_client.get("/staff/voicemail").status_code == 302


def test_login_without_a_csrf_token_is_refused(client, make_user):
    make_user("wang")

    response = client.post("/login", data={"username": "wang", "password": PASSWORD})

    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(client, make_user):
    make_user("wang")
    login = client.get("/staff/voicemail")
    assert login.headers["Location"] == "/login?next=%2Fstaff%2Fvoicemail"

    def log_in_then_out(target: str) -> str:
        token = csrf_token(client.get("/login").get_data(as_text=True))
        form = {"username": "wang", "password": PASSWORD, "csrf_token": token}
        location = client.post("/login", query_string={"next": target}, data=form).location
        token = csrf_token(client.get("/staff/").get_data(as_text=True))
        client.post("/logout", data={"csrf_token": token})
        return location

    assert log_in_then_out("/staff/voicemail") == "/staff/voicemail"
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        assert log_in_then_out(target) == "/staff/", target


def test_twilio_webhooks_need_no_csrf_token(phone):
    record = phone.call(["1"])

    assert record.sid


def test_the_permission_table_names_only_known_roles():
    assert set().union(*PERMISSIONS.values()) == set(ROLES)
    with pytest.raises(ValueError, match="boss"):
        permission_table({"voicemail.read": ("staff", "boss")})
    with pytest.raises(ValueError, match="no roles"):
        permission_table({"voicemail.read": ()})


def test_only_permissions_of_the_table_can_be_asked_for(app):
    with pytest.raises(KeyError, match="voicemail.raed"):
        permission_required("voicemail.raed")
    with app.test_request_context(), pytest.raises(KeyError, match="voicemail.raed"):
        can("voicemail.raed")


def test_templates_ask_only_for_permissions_of_the_table():
    templates = Path(__file__).parents[2] / "webapp" / "templates"
    asked = {
        name
        for path in templates.rglob("*.html")
        for name in re.findall(r"can\('([^']*)'\)", path.read_text(encoding="utf-8"))
    }
    assert asked and asked <= set(PERMISSIONS)
