"""Who may see which pages (spec §6: recordings only for staff who need them).

``PERMISSIONS`` is the one table of what each role may do in the web UI:
views are guarded with ``@permission_required("…")``, code and templates ask
``can("…")``. Every role it names must be one of ``ivr.staff.models.ROLES``
(checked when this module is imported), and every permission asked for must
be in the table (a misspelt name raises instead of refusing quietly).
``PAGES`` are the pages the start page lists, each for the roles with its
permission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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
        # Listen to what callers said at the speech menus, where the flows keep it.
        "speech.audio": ("admin", "team_leader"),
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
        # The flow drawn with its traffic, and trial calls through it (/flows/).
        "flows.view": ("admin", "team_leader"),
        # Find calls and read a call's trace: each call as the three below allow.
        "calls.trace": ("admin", "team_leader", "inspector", "agent"),
        # Every call's trace, with the caller's number in full.
        "calls.trace_all": ("admin", "team_leader"),
        # The traces of the calls one sampled.
        "calls.trace_sampled": ("inspector",),
        # The traces of the calls one took.
        "calls.trace_own": ("agent",),
        # The centre statistics: every centre's calls, queues and complaints, by day and hour.
        "analytics.stats": ("admin", "team_leader"),
    }
)


@dataclass(frozen=True)
class Page:
    """A page the start page links to, for the roles with ``permission``."""

    endpoint: str  # a page with no object in its URL (a month's page: this month)
    permission: str
    title: str
    description: str  # one line: what the page is for


def page_table(*pages: Page) -> tuple[Page, ...]:
    """The start page's pages, refused if one names a permission not in the table."""
    for page in pages:
        if page.permission not in PERMISSIONS:
            raise ValueError(f"page {page.endpoint}: no permission {page.permission!r}")
    return pages


# The start page's list, in this order; a role sees those it has the permission of.
PAGES = page_table(
    Page(
        "staff.voicemail_inbox",
        "voicemail.read",
        "留言 Voicemail inbox",
        "来电人的留言：收听、回电、标记已处理。 Callers' messages: listen, call back, mark handled.",
    ),
    Page(
        "selfservice.fax_requests",
        "fax.requests",
        "传真 Fax requests",
        "来电人申请传真的文件及发送情况。 Documents callers asked for by fax, and how sending went.",
    ),
    Page(
        "tickets.index",
        "tickets.use",
        "投诉举报工单 Tickets",
        "查看和处理您能看到的工单。 The complaint and report tickets you may see: read and handle them.",
    ),
    Page(
        "tickets.new",
        "tickets.use",
        "登记工单 Open a ticket",
        "登记来电人的投诉或举报。 Record a caller's complaint or report.",
    ),
    Page(
        "agents.board",
        "agents.board",
        "座席 Agents",
        "各中心咨询员的状态和排队来电，可设置状态。 Every centre's agents and waiting callers; set anyone's status.",
    ),
    Page(
        "agents.me",
        "agents.own_status",
        "我的状态 My status",
        "您的接听状态和本中心排队情况。 Whether you take calls, and who waits in your centre.",
    ),
    Page(
        "inspection.samples",
        "inspection.own_samples",
        "本月抽样 This month's samples",
        "抽取本月要评分的通话并评分。 Draw this month's calls to grade, and grade them.",
    ),
    Page(
        "inspection.samples",
        "inspection.all_samples",
        "本月抽样 This month's samples",
        "各质检员本月抽取的通话和评分进度。 Every inspector's sampled calls this month and how grading goes.",
    ),
    Page(
        "inspection.report",
        "inspection.reports",
        "月度报表 Monthly report",
        "各咨询员本月的分项得分、总分、等级和趋势。 Every agent's section scores, total, grade and trend.",
    ),
    Page(
        "trace.index",
        "calls.trace_all",
        "通话轨迹 Call trace",
        "按来电号码或通话编号查找通话，查看每一步。 Find a call by caller number or CallSid and see every step.",
    ),
    Page(
        "trace.index",
        "calls.trace_sampled",
        "通话轨迹 Call trace",
        "您抽样的通话的每一步。 Every step of the calls you sampled, by caller number or CallSid.",
    ),
    Page(
        "trace.index",
        "calls.trace_own",
        "通话轨迹 Call trace",
        "您接听的通话的每一步。 Every step of the calls you took, by caller number or CallSid.",
    ),
    Page(
        "inspection.mine",
        "inspection.own_results",
        "我的考核 My results",
        "您每月的考核结果和被评分的通话。 Your monthly results and your graded calls.",
    ),
    Page(
        "flows.index",
        "flows.view",
        "来电流程 The flow",
        "流程图、各节点来电流量和试拨。 The call flow drawn, how callers move through it, and a trial call.",
    ),
    Page(
        "stats.index",
        "analytics.stats",
        "统计 Centre statistics",
        "各中心每日、每小时的来电、排队、接听和投诉办理情况。 Every centre's calls, queues, answers and complaints by day and hour.",
    ),
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


def my_pages() -> list[Page]:
    """The pages of ``PAGES`` the current user may open (of the domains this app runs)."""
    return [
        page
        for page in PAGES
        if page.endpoint in current_app.view_functions and can(page.permission)
    ]


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
