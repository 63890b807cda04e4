"""The inspection blueprint and what its pages share: the month check, template helpers, lookups.

The pages are in draw_views (landing, samples, drawing), grading_views (a
sampled call: grading and audio) and result_views (team-leader entries, an
agent's month, the monthly report); views imports them all.
"""

from __future__ import annotations

from datetime import tzinfo

from flask import Blueprint, abort, current_app
from sqlalchemy.orm import joinedload

from ivr import db
from ivr.agents.models import Agent
from ivr.inspection import entries as form_entries
from ivr.inspection import months
from ivr.inspection import transcript as tx
from ivr.inspection.models import SampledCall
from ivr.logs import mask_number
from webapp.inspection import pages

bp = Blueprint("inspection", __name__, url_prefix="/inspection")


@bp.url_value_preprocessor
def _check_month(_endpoint, values) -> None:
    if values and "month" in values and not months.is_month(values["month"]):
        abort(404)


@bp.url_defaults
def _this_month(endpoint: str, values: dict) -> None:
    """A link to a month's page that names no month (the start page's) is to this month's."""
    if "month" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "month"):
        values["month"] = this_month()


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "fmt": pages.fmt,
        "plain": pages.plain,
        "groups": pages.groups,
        "field_name": form_entries.field_name,
        "mask_number": mask_number,
        "channel_labels": tx.CHANNEL_LABELS,
        "shift_month": months.shift,
    }


def this_month() -> str:
    return months.current(zone())


def zone() -> tzinfo:
    return current_app.config["SETTINGS"].timezone


def get_sample(sample_id: int) -> SampledCall:
    sample = db.session().get(
        SampledCall,
        sample_id,
        options=[
            joinedload(SampledCall.recording),
            joinedload(SampledCall.agent).joinedload(Agent.user),
        ],
    )
    if sample is None:
        abort(404)
    return sample


def get_agent(agent_id: int) -> Agent:
    agent = db.session().get(Agent, agent_id, options=[joinedload(Agent.user)])
    if agent is None:
        abort(404)
    return agent
