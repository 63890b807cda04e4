"""Flask-Login: who the session's user is, and when a session stops counting.

A session is valid only while the server agrees it is (a copied cookie stops
working as soon as the session ends):

- its login's audit row (id kept in the signed cookie as ``login_event``) has
  not been marked ended, which :func:`end_session` does at logout;
- the user is still active (deactivation ends every session at once) and the
  password is the one logged in with (``password_stamp``: a password change
  ends every other session);
- it was used within ``IVR_SESSION_IDLE_HOURS`` (``seen``, refreshed on use).

The login row is read by primary key, so the check costs one indexed lookup
per request and needs no table of its own.
"""

from __future__ import annotations

import hashlib
import time

from flask import current_app, session
from flask_login import LoginManager

from ivr import db
from ivr.clock import utcnow
from ivr.staff.models import AuditEvent, User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录 Please log in to see this page."
login_manager.login_message_category = "info"

SEEN_RESOLUTION = 60  # seconds: ``seen`` is rewritten at most once a minute


def password_stamp(user: User) -> str:
    """Kept in the session at login, so a password change ends the user's other sessions."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def start_session(user: User, login_event: AuditEvent) -> None:
    """Record in the (already cleared) session what :func:`load_user` checks."""
    session["password_stamp"] = password_stamp(user)
    session["login_event"] = login_event.id
    session["seen"] = int(time.time())


def end_session(reason: str) -> None:
    """Mark the current session's login row ended; the caller commits."""
    event = _login_event()
    if event is not None and not event.detail.get("ended_at"):
        event.detail = {**event.detail, "ended_at": utcnow().isoformat(), "ended_by": reason}


def _login_event() -> AuditEvent | None:
    login_id = session.get("login_event")
    if not isinstance(login_id, int):
        return None
    event = db.session().get(AuditEvent, login_id)
    if event is None or event.action != "login" or event.object_type != "user":
        return None
    return event


def _idle_limit() -> int:
    return current_app.config["SETTINGS"].session_idle_hours * 3600


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The logged-in user; nobody once deactivated, after a password change,
    after logout (even with a copy of the cookie) or after too long idle."""
    try:
        user = db.session().get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active or session.get("password_stamp") != password_stamp(user):
        return None
    now = int(time.time())
    seen = session.get("seen")
    if not isinstance(seen, int) or not 0 <= now - seen <= _idle_limit():
        return None
    event = _login_event()
    if event is None or event.user_id != user.id or event.detail.get("ended_at"):
        return None
    if now - seen >= SEEN_RESOLUTION:
        session["seen"] = now
    return user
