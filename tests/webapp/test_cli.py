"""``ivr users ...``."""

from __future__ import annotations

from sqlalchemy import select

from ivr.staff.models import User
from tests.webapp.conftest import log_in


def user(data, username: str) -> User | None:
    with data() as session:
        return session.scalar(select(User).where(User.username == username))


def test_users_add_asks_for_the_password_twice(runner, data):
    result = runner.invoke(
        args=["users", "add", "wang", "--role", "staff", "--name", "王芳"],
        input="s3cret-pass\ns3cret-pass\n",
    )

    assert result.exit_code == 0, result.output
    assert "added wang (staff)" in result.output
    assert "s3cret-pass" not in result.output  # hidden input
    added = user(data, "wang")
    assert (added.role, added.display_name, added.active) == ("staff", "王芳", True)
    assert added.check_password("s3cret-pass")


def test_users_add_rejects_mismatched_short_and_bad_input(runner, data):
    mismatch = runner.invoke(
        args=["users", "add", "wang", "--role", "staff"],
        input="s3cret-pass\nother-pass\ns3cret-pass\ns3cret-pass\n",
    )
    assert mismatch.exit_code == 0  # click asks again after a mismatch
    assert "do not match" in mismatch.output.lower()

    short = runner.invoke(args=["users", "add", "li", "--role", "staff"], input="short\nshort\n")
    assert short.exit_code == 1
    assert "at least 8 characters" in short.output
    assert user(data, "li") is None

    role = runner.invoke(args=["users", "add", "li", "--role", "boss"], input="x" * 8 + "\n")
    assert role.exit_code == 2
    assert "'boss' is not one of" in role.output

    name = runner.invoke(args=["users", "add", "../li", "--role", "staff"])
    assert name.exit_code == 2


def test_users_add_refuses_a_duplicate_username(runner, data):
    first = runner.invoke(
        args=["users", "add", "wang", "--role", "staff", "--password-stdin"],
        input="s3cret-pass\n",
    )
    assert first.exit_code == 0, first.output

    again = runner.invoke(
        args=["users", "add", "wang", "--role", "admin", "--password-stdin"],
        input="other-pass\n",
    )

    assert again.exit_code == 1
    assert "a user named 'wang' already exists" in again.output
    assert user(data, "wang").role == "staff"


def test_users_list_set_password_deactivate(runner, data):
    runner.invoke(
        args=["users", "add", "wang", "--role", "team_leader", "--password-stdin"],
        input="s3cret-pass\n",
    )

    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0
    assert "wang" in listed.output and "team_leader" in listed.output and "active" in listed.output

    changed = runner.invoke(
        args=["users", "set-password", "wang"], input="new-pass-1\nnew-pass-1\n"
    )
    assert changed.exit_code == 0, changed.output
    assert user(data, "wang").check_password("new-pass-1")

    deactivated = runner.invoke(args=["users", "deactivate", "wang"])
    assert deactivated.exit_code == 0
    assert user(data, "wang").active is False
    assert "deactivated" in runner.invoke(args=["users", "list"]).output

    missing = runner.invoke(args=["users", "deactivate", "nobody"])
    assert missing.exit_code == 1
    assert "no user named 'nobody'" in missing.output


def test_a_user_added_on_the_command_line_can_log_in(runner, client):
    runner.invoke(
        args=["users", "add", "admin1", "--role", "admin", "--password-stdin"],
        input="s3cret-pass\n",
    )

    assert log_in(client, "admin1", "s3cret-pass").status_code == 302
    assert client.get("/staff/voicemail").status_code == 200
