"""Who may see which inspection page, call and recording (spec §6)."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from ivr import db
from ivr.agents.models import Agent
from ivr.inspection.models import SampledCall

STAFF_ROLES = ("admin", "inspector", "team_leader")  # reports and every agent's month
ENTRY_ROLES = ("admin", "team_leader")  # the team leader's composite and other sections
DRAW_ROLES = ("admin", "inspector")
ALL_ROLES = (*STAFF_ROLES, "agent")


def own_agent() -> Agent | None:
    """The Agent row of the logged-in user, when they are an agent."""
    if not current_user.is_authenticated or current_user.role != "agent":
        return None
    return db.session().scalar(select(Agent).where(Agent.user_id == current_user.id))


def may_view_agent(agent: Agent) -> bool:
    if current_user.role in STAFF_ROLES:
        return True
    return current_user.role == "agent" and agent.user_id == current_user.id


def may_view_sample(sample: SampledCall) -> bool:
    """Team leaders and admins: every sample; inspectors: their own; agents: their calls."""
    role = current_user.role
    if role in ENTRY_ROLES:
        return True
    if role == "inspector":
        return sample.inspector_id == current_user.id
    if role == "agent":
        return sample.agent.user_id == current_user.id
    return False


def may_grade(sample: SampledCall) -> bool:
    return (
        current_user.role == "inspector"
        and sample.inspector_id == current_user.id
        and sample.active
    )


def may_redraw(sample: SampledCall) -> bool:
    if not sample.active:
        return False
    if current_user.role == "admin":
        return True
    return current_user.role == "inspector" and sample.inspector_id == current_user.id
