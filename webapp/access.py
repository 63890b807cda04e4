"""Who may see which pages (spec §6: recordings only for staff who need them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import abort, current_app
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ivr.staff.models import ROLES

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]

VOICEMAIL_ROLES = ("admin", "staff", "team_leader")

ROLE_LABELS = {
    "admin": "管理员 Admin",
    "inspector": "质检员 Inspector",
    "team_leader": "班长 Team leader",
    "staff": "工作人员 Staff",
    "agent": "话务员 Agent",
}


def role_required(*roles: str) -> Callable[[View[P]], View[P]]:
    """Log in first (redirect), then allow only ``roles`` (403 for the others)."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"role_required: unknown or no roles {sorted(unknown)}; known: {ROLES}")

    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def can(*roles: str) -> bool:
    """For templates: whether the current user has one of ``roles``."""
    return current_user.is_authenticated and current_user.role in roles
