"""Who may see which inspection call, agent's month and recording (spec §6).

The pages themselves are guarded by the permission table (webapp/access.py);
these add the per-object rules: inspectors their own samples, agents their own calls.
"""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from ivr import db
from ivr.agents.models import Agent
from ivr.inspection.models import SampledCall
from webapp.access import can


def own_agent() -> Agent | None:
    """The Agent row of the logged-in user, when they are an agent."""
    if not current_user.is_authenticated or not can("inspection.own_results"):
        return None
    return db.session().scalar(select(Agent).where(Agent.user_id == current_user.id))


def may_view_agent(agent: Agent) -> bool:
    if can("inspection.reports"):
        return True
    return can("inspection.own_results") and agent.user_id == current_user.id


def may_view_sample(sample: SampledCall) -> bool:
    """Team leaders and admins: every sample; inspectors: their own; agents: their calls."""
    if can("inspection.all_samples"):
        return True
    if can("inspection.own_samples"):
        return sample.inspector_id == current_user.id
    if can("inspection.own_results"):
        return sample.agent.user_id == current_user.id
    return False


def may_grade(sample: SampledCall) -> bool:
    return can("inspection.grade") and sample.inspector_id == current_user.id and sample.active


def why_read_only(sample: SampledCall) -> str | None:
    """Why the grading form is read-only for the current user, or None when they grade it.

    ``"redrawn"``: the call was replaced and is kept as history; ``"own_call"``: an
    agent reading how their call was graded; ``"not_the_inspector"``: only the
    inspector who drew the call grades it (team leaders and admins read it).
    """
    if may_grade(sample):
        return None
    if not sample.active:
        return "redrawn"
    if can("inspection.own_results"):
        return "own_call"
    return "not_the_inspector"


def may_redraw(sample: SampledCall) -> bool:
    if not sample.active:
        return False
    if can("inspection.draw_any"):
        return True
    return can("inspection.own_samples") and sample.inspector_id == current_user.id
