"""Who may see which pages (spec §6: recordings only for staff who need them).

``PERMISSIONS`` is the one table of what each role may do in the web UI:
views are guarded with ``@permission_required("…")``, code and templates ask
``can("…")``. Every role it names must be one of ``ivr.staff.models.ROLES``
(checked when this module is imported), and every permission asked for must
be in the table (a misspelt name raises instead of refusing quietly).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from types import MappingProxyType
from typing import ParamSpec

from flask import abort, current_app
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ivr.staff.models import ROLES

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]


def permission_table(rows: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    """The permission table, refused if it names a role that does not exist."""
    table = {name: frozenset(roles) for name, roles in rows.items()}
    for name, roles in table.items():
        unknown = roles - set(ROLES)
        if unknown or not roles:
            raise ValueError(
                f"permission {name!r}: unknown or no roles {sorted(unknown)}; known: {ROLES}"
            )
    return MappingProxyType(table)


# permission -> the roles that have it
PERMISSIONS = permission_table(
    {
        # The voicemail inbox: list, read, listen to, mark handled and reopen messages.
        "voicemail.read": ("admin", "staff", "team_leader"),
        # The list of fax requests and how their delivery went.
        "fax.requests": ("admin", "staff", "team_leader"),
        # Every centre's agents and queue; set anyone's status.
        "agents.board": ("admin", "team_leader"),
        # The agent's own status page.
        "agents.own_status": ("agent",),
        # Open tickets and handle those they may see.
        "tickets.use": ("admin", "team_leader", "staff", "agent"),
        # See every ticket (the others see the tickets they own) and take one from the desk.
        "tickets.all": ("admin", "team_leader", "staff"),
        # Assign a ticket to someone.
        "tickets.assign": ("admin", "team_leader"),
        # May be made a ticket's owner.
        "tickets.own": ("admin", "team_leader", "staff", "agent"),
        # The inspection area: the samples and months each of these roles may see.
        "inspection.view": ("admin", "inspector", "team_leader", "agent"),
        # The monthly report, the sample lists and every agent's month.
        "inspection.reports": ("admin", "inspector", "team_leader"),
        # Every sampled call, not only one's own.
        "inspection.all_samples": ("admin", "team_leader"),
        # The sampled calls one drew: listed, opened, redrawn.
        "inspection.own_samples": ("inspector",),
        # Draw calls to sample.
        "inspection.draw": ("admin", "inspector"),
        # Draw for any inspector and redraw anyone's sample.
        "inspection.draw_any": ("admin",),
        # Grade the calls one drew.
        "inspection.grade": ("inspector",),
        # The team leader's composite and the month's other sections.
        "inspection.entries": ("admin", "team_leader"),
        # One's own results and graded calls, the inspectors unnamed.
        "inspection.own_results": ("agent",),
    }
)

ROLE_LABELS = {
    "admin": "管理员 Admin",
    "inspector": "质检员 Inspector",
    "team_leader": "班长 Team leader",
    "staff": "工作人员 Staff",
    "agent": "话务员 Agent",
}


def roles_with(permission: str) -> frozenset[str]:
    """The roles that have ``permission`` (KeyError for one not in the table)."""
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"no permission {permission!r}; known: {sorted(PERMISSIONS)}") from None


def can(permission: str) -> bool:
    """Whether the current user has ``permission``; also a template global."""
    roles = roles_with(permission)
    return current_user.is_authenticated and current_user.role in roles


def permission_required(permission: str) -> Callable[[View[P]], View[P]]:
    """Log in first (redirect), then allow only the roles with ``permission`` (403)."""
    roles_with(permission)  # a misspelt name fails at import, not at the first request

    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
