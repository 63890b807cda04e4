"""Flask-Login: who the session's user is, and when a session stops counting."""

from __future__ import annotations

import hashlib

from flask import session
from flask_login import LoginManager

from ivr import db
from ivr.staff.models import User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录 Please log in to see this page."
login_manager.login_message_category = "info"


def password_stamp(user: User) -> str:
    """Kept in the session at login, so a password change ends the user's other sessions."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The logged-in user; nobody once deactivated or after a password change."""
    try:
        user = db.session().get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active or session.get("password_stamp") != password_stamp(user):
        return None
    return user
