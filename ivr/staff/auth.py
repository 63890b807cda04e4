"""Password rules and authentication, shared by the web login and ``ivr users``."""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ivr.staff.models import User

MIN_PASSWORD_LENGTH = 8
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must be at least {MIN_PASSWORD_LENGTH} characters long"
    if password != password.strip():
        return "the password must not start or end with spaces"
    return None


def username_problem(username: str) -> str | None:
    if not USERNAME.fullmatch(username):
        return (
            "use 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit"
        )
    return None


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None.

    An unknown username costs the same hash check as a wrong password, so the
    answer time does not reveal which usernames exist.
    """
    user = find_user(session, username)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user
