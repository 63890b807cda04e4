"""Inspection pages: the landing page, an agent's own results, the samples of a month, drawing.

Every draw and redraw is audited (by ivr.inspection.sampling).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ivr import db
from ivr.agents.models import Agent, CallRecording
from ivr.inspection import months
from ivr.inspection.models import AgentMonthResult, SampledCall
from ivr.inspection.results import recompute
from ivr.inspection.rubric import current as current_grading
from ivr.inspection.sampling import SamplingError, active_samples, draw_month, redraw
from ivr.staff.models import User
from webapp.access import can, permission_required
from webapp.inspection import access, pages
from webapp.inspection.blueprint import bp, get_sample, this_month, zone
from webapp.inspection.forms import DrawForm, RedrawForm

DRAWN_AT_ONCE = (
    "另一位质检员同时抽样，请重试。 Another inspector drew at the same moment; try again."
)


@bp.get("/")
@permission_required("inspection.view")
def index():
    month = request.args.get("month") or this_month()
    if not months.is_month(month):
        abort(404)
    if can("inspection.own_results"):
        return redirect(url_for(".mine"))
    if can("inspection.own_samples"):
        return redirect(url_for(".samples", month=month))
    return redirect(url_for(".report", month=month))


@bp.get("/me")
@permission_required("inspection.own_results")
def mine():
    agent = access.own_agent()
    results = []
    if agent is not None:
        results = list(
            db.session().scalars(
                select(AgentMonthResult)
                .where(AgentMonthResult.agent_id == agent.id)
                .order_by(AgentMonthResult.month.desc())
            )
        )
    return render_template("inspection/mine.html", agent=agent, results=results)


@bp.get("/<month>/samples")
@permission_required("inspection.reports")
def samples(month: str):
    session = db.session()
    agents = list(
        session.scalars(select(Agent).options(joinedload(Agent.user)).order_by(Agent.agent_number))
    )
    mine_only = can("inspection.own_samples")
    rows = active_samples(session, month, inspector_id=current_user.id if mine_only else None)
    recordings = {
        r.id: r
        for r in session.scalars(
            select(CallRecording).where(CallRecording.id.in_([s.recording_id for s in rows]))
        )
    }
    by_agent: dict[int, dict[int, list[SampledCall]]] = {}
    for sample in rows:
        by_agent.setdefault(sample.agent_id, {}).setdefault(sample.inspector_id, []).append(sample)
    users = pages.user_map(session, [s.inspector_id for s in rows])
    form = _draw_form(session)
    return render_template(
        "inspection/samples.html",
        month=month,
        agents=agents,
        by_agent=by_agent,
        recordings=recordings,
        users=users,
        mine_only=mine_only,
        form=form,
        missing=[a for a in agents if current_user.id not in by_agent.get(a.id, {})]
        if mine_only
        else [],
    )


def _draw_form(session: Session) -> DrawForm:
    form = DrawForm()
    if can("inspection.draw_any"):
        inspectors = session.scalars(
            select(User).where(User.role == "inspector", User.active).order_by(User.username)
        )
        form.inspector.choices = [(u.id, u.display_name or u.username) for u in inspectors]
    else:
        form.inspector.choices = [(current_user.id, current_user.display_name or "")]
        form.inspector.data = current_user.id
    return form


@bp.post("/<month>/draw")
@permission_required("inspection.draw")
def draw(month: str):
    session = db.session()
    form = _draw_form(session)
    if not can("inspection.draw_any"):
        form.inspector.data = current_user.id
    if not form.validate_on_submit():
        flash("请检查抽样设置 Check the sampling settings: " + _form_errors(form), "error")
        return redirect(url_for(".samples", month=month))
    inspector = session.get(User, form.inspector.data)
    if inspector is None:
        abort(404)
    grading = current_grading()
    size = grading.rubric.weighted_sections[0].calls_per_inspector or 3
    try:
        done = draw_month(
            session,
            month,
            inspector,
            zone(),
            rubric_id=grading.rubric.id,
            size=size,
            min_seconds=float(form.min_seconds.data),
            actor_id=current_user.id,
        )
        session.commit()
    except (SamplingError, IntegrityError) as exc:
        _not_drawn(session, exc)
        return redirect(url_for(".samples", month=month))
    made = [d for d in done if d.draw is not None]
    calls = sum(len(d.draw.picked) for d in made if d.draw)
    short = [d.agent.agent_number for d in made if d.short]
    message = f"已抽取 Drew {calls} calls for {len(made)} agents."
    if short:
        message += f" 通话不足 Too few eligible calls for agent(s) {', '.join(short)}."
    flash(message, "info")
    return redirect(url_for(".samples", month=month))


@bp.post("/samples/<int:sample_id>/redraw")
@permission_required("inspection.draw")
def redraw_sample(sample_id: int):
    session = db.session()
    sample = get_sample(sample_id)
    if not access.may_redraw(sample):
        abort(403)
    form = RedrawForm()
    if not form.validate_on_submit():
        flash("重抽需要写明原因 A redraw needs a written reason.", "error")
        return redirect(url_for(".sample", sample_id=sample.id))
    try:
        made = redraw(session, [sample], form.reason.data, zone(), actor_id=current_user.id)
        agent_id, month = sample.agent_id, sample.month
        recompute(session, current_grading(), month, agent_id)
        session.commit()
    except (SamplingError, IntegrityError) as exc:
        _not_drawn(session, exc)
        return redirect(url_for(".sample", sample_id=sample_id))
    if not made.picked:
        flash("没有可替换的通话 No other eligible call is left; the slot is empty.", "error")
        return redirect(url_for(".samples", month=month))
    replacement = session.scalar(select(SampledCall).where(SampledCall.draw_id == made.id))
    flash("已重抽 Redrawn: a new call replaces the old one.", "info")
    return redirect(url_for(".sample", sample_id=replacement.id if replacement else sample_id))


def _not_drawn(session: Session, exc: SamplingError | IntegrityError) -> None:
    """Undo a draw that failed, and say why (an IntegrityError: another draw claimed a call)."""
    session.rollback()
    flash(DRAWN_AT_ONCE if isinstance(exc, IntegrityError) else str(exc), "error")


def _form_errors(form) -> str:
    return "; ".join(
        f"{form[name].label.text}: {' '.join(errs)}" for name, errs in form.errors.items()
    )
