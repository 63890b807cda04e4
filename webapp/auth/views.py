"""Login and logout. A failed login never says whether the username exists."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from ivr import db
from ivr.staff.auth import authenticate
from webapp import audit, throttle
from webapp.auth.forms import LoginForm
from webapp.login import end_session, start_session

bp = Blueprint("auth", __name__)

FAILED = "用户名或密码错误，或账户已停用。 Wrong username or password, or the account is disabled."


@bp.get("/")
def root():
    """The site's address: the start page (which asks for a login first)."""
    return redirect(url_for("staff.home"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        address = throttle.client_address()
        attempt = throttle.begin(username, address)
        if attempt is None:
            current_app.logger.warning(
                "refused staff login (too many failures): username=%r address=%s",
                username,
                address,
            )
            flash(throttle.REFUSED, "error")
            return render_template("auth/login.html", form=form), 429
        user = authenticate(db.session(), username, form.password.data)
        throttle.settle(attempt, username, address, failed=user is None)
        if user is not None:
            session.clear()  # nothing from before the login survives it
            login_user(user)
            event = audit.record("login", "user", user.id)
            db.session().flush()
            start_session(user, event)
            db.session().commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("staff.home"))
        current_app.logger.warning("failed staff login: username=%r address=%s", username, address)
        audit.record("login_failed", "login", username[:64], address=address)
        db.session().commit()
        flash(FAILED, "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """POST only, with the CSRF token (checked by CSRFProtect before this runs).

    Ends the session on the server too: a copy of the cookie no longer works.
    """
    if current_user.is_authenticated:
        end_session("logout")
        audit.record("logout", "user", current_user.id)
        db.session().commit()
    logout_user()
    session.clear()
    flash("已退出 You have logged out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (``/staff/...``), never another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
