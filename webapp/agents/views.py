"""An agent's own status page; the team leaders' queue and agent dashboard.

Agents set their own status (示忙 while busy takes effect when the call
ends); team leaders and admins see every centre and may set anyone's status,
which also clears a call stuck on a "busy" agent. Every change is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ivr import db
from ivr.agents.models import Agent
from ivr.agents.presence import STATUS_WORDS, PresenceUnavailable, presence
from ivr.logs import mask_number
from webapp import audit
from webapp.access import permission_required
from webapp.agents.board import boards, centre_names
from webapp.agents.forms import StatusForm

bp = Blueprint(
    "agents", __name__, url_prefix="/agents", static_folder="static", static_url_path="/static"
)

UNAVAILABLE = (
    "座席状态暂时无法读取或更改。 Agent status is unavailable right now (Redis or the database)."
)


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {"STATUS_WORDS": STATUS_WORDS, "mask_number": mask_number, "now": _now()}


def _now() -> datetime:
    return datetime.now(UTC)


@bp.get("/me")
@permission_required("agents.own_status")
def me():
    agent = db.session().scalar(select(Agent).where(Agent.user_id == current_user.id))
    if agent is None:
        return render_template("agents/me.html", agent=None)
    try:
        state = presence().states([agent])[agent.id]
        queue = presence().queues([agent.centre])[agent.centre]
    except PresenceUnavailable:
        flash(UNAVAILABLE, "error")
        state = queue = None
    return render_template(
        "agents/me.html",
        agent=agent,
        state=state,
        queue=queue,
        centre=centre_names().get(agent.centre, agent.centre),
        form=StatusForm(),
    )


@bp.post("/me/status")
@permission_required("agents.own_status")
def my_status():
    agent = db.session().scalar(select(Agent).where(Agent.user_id == current_user.id))
    if agent is None:
        abort(404)
    _change(agent, force=False)
    return redirect(url_for(".me"))


@bp.get("/")
@permission_required("agents.board")
def board():
    try:
        centres = boards(db.session(), _now())
    except PresenceUnavailable:
        flash(UNAVAILABLE, "error")
        centres = []
    return render_template("agents/board.html", centres=centres, form=StatusForm())


@bp.post("/<int:agent_id>/status")
@permission_required("agents.board")
def set_status(agent_id: int):
    agent = db.session().get(Agent, agent_id)
    if agent is None:
        abort(404)
    _change(agent, force=True)
    return redirect(url_for(".board") + f"#centre-{agent.centre}")


def _change(agent: Agent, *, force: bool) -> None:
    form = StatusForm()
    if not form.validate_on_submit():
        flash("无效的状态 Not a status you can choose.", "error")
        return
    status = form.status.data
    try:
        previous = presence().states([agent])[agent.id]
        state = presence().set_status(agent, status, force=force)
    except PresenceUnavailable:
        db.session().rollback()
        flash(UNAVAILABLE, "error")
        return
    audit.record(
        "status",
        "agent",
        agent.id,
        status=status,
        previous=previous.status,
        forced=force,
        call_sid=previous.call_sid,
    )
    db.session().commit()
    if state.status == "busy":
        flash(f"通话结束后将改为 After this call: {STATUS_WORDS[status]}", "info")
    else:
        flash(f"{agent.agent_number}: {STATUS_WORDS[state.status]}", "info")
