"""Inspection pages: draw, grade, team-leader entries, an agent's month, the monthly report.

Every page view of a call, every listen and every grade is audited. The
server scores every save with ivr.grading.scoring; the page's live figures
are a preview only.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ivr import db
from ivr.agents.models import Agent, CallRecording
from ivr.grading import ScoringError
from ivr.inspection import charts, months
from ivr.inspection import entries as form_entries
from ivr.inspection import transcript as tx
from ivr.inspection.models import AgentMonthEntry, AgentMonthResult, SampledCall
from ivr.inspection.report import centres, monthly_report, to_csv
from ivr.inspection.results import recompute, score_month
from ivr.inspection.rubric import current as current_grading
from ivr.inspection.sampling import SamplingError, active_samples, draw_month, redraw
from ivr.inspection.store import NotAllowed, save_grade, save_month_entries
from ivr.logs import mask_number
from ivr.staff.models import User
from webapp import audit
from webapp.access import role_required
from webapp.inspection import access, pages
from webapp.inspection.forms import DrawForm, RedrawForm

bp = Blueprint("inspection", __name__, url_prefix="/inspection")


@bp.url_value_preprocessor
def _check_month(_endpoint, values) -> None:
    if values and "month" in values and not months.is_month(values["month"]):
        abort(404)


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


def _this_month() -> str:
    return months.current(current_app.config["SETTINGS"].timezone)


def _zone():
    return current_app.config["SETTINGS"].timezone


# --------------------------------------------------------------------------- landing


@bp.get("/")
@role_required(*access.ALL_ROLES)
def index():
    month = request.args.get("month") or _this_month()
    if not months.is_month(month):
        abort(404)
    if current_user.role == "agent":
        return redirect(url_for(".mine"))
    if current_user.role == "inspector":
        return redirect(url_for(".samples", month=month))
    return redirect(url_for(".report", month=month))


@bp.get("/me")
@role_required("agent")
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


# --------------------------------------------------------------------------- sampling


@bp.get("/<month>/samples")
@role_required(*access.STAFF_ROLES)
def samples(month: str):
    session = db.session()
    agents = list(
        session.scalars(select(Agent).options(joinedload(Agent.user)).order_by(Agent.agent_number))
    )
    mine_only = current_user.role == "inspector"
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


def _draw_form(session) -> DrawForm:
    form = DrawForm()
    if current_user.role == "admin":
        inspectors = session.scalars(
            select(User).where(User.role == "inspector", User.active).order_by(User.username)
        )
        form.inspector.choices = [(u.id, u.display_name or u.username) for u in inspectors]
    else:
        form.inspector.choices = [(current_user.id, current_user.display_name or "")]
        form.inspector.data = current_user.id
    return form


@bp.post("/<month>/draw")
@role_required(*access.DRAW_ROLES)
def draw(month: str):
    session = db.session()
    form = _draw_form(session)
    if current_user.role == "inspector":
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
            _zone(),
            rubric_id=grading.rubric.id,
            size=size,
            min_seconds=float(form.min_seconds.data),
            actor_id=current_user.id,
        )
        session.commit()
    except SamplingError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".samples", month=month))
    except IntegrityError:
        session.rollback()
        flash(
            "另一位质检员同时抽样，请重试。 Another inspector drew at the same moment; try again.",
            "error",
        )
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
@role_required(*access.DRAW_ROLES)
def redraw_sample(sample_id: int):
    session = db.session()
    sample = _sample(sample_id)
    if not access.may_redraw(sample):
        abort(403)
    form = RedrawForm()
    if not form.validate_on_submit():
        flash("重抽需要写明原因 A redraw needs a written reason.", "error")
        return redirect(url_for(".sample", sample_id=sample.id))
    try:
        made = redraw(session, [sample], form.reason.data, _zone(), actor_id=current_user.id)
        agent_id, month = sample.agent_id, sample.month
        recompute(session, current_grading(), month, agent_id)
        session.commit()
    except SamplingError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".sample", sample_id=sample_id))
    except IntegrityError:
        session.rollback()
        flash(
            "另一位质检员同时抽样，请重试。 Another inspector drew at the same moment; try again.",
            "error",
        )
        return redirect(url_for(".sample", sample_id=sample_id))
    if not made.picked:
        flash("没有可替换的通话 No other eligible call is left; the slot is empty.", "error")
        return redirect(url_for(".samples", month=month))
    replacement = session.scalar(select(SampledCall).where(SampledCall.draw_id == made.id))
    flash("已重抽 Redrawn: a new call replaces the old one.", "info")
    return redirect(url_for(".sample", sample_id=replacement.id if replacement else sample_id))


# --------------------------------------------------------------------------- grading


def _sample(sample_id: int) -> SampledCall:
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


@bp.get("/samples/<int:sample_id>")
@role_required(*access.ALL_ROLES)
def sample(sample_id: int):
    sample = _sample(sample_id)
    if not access.may_view_sample(sample):
        abort(403)
    audit.record("view", "inspection_sample", sample.id, recording_id=sample.recording_id)
    db.session().commit()
    return _grading_page(sample)


def _grading_page(sample: SampledCall, *, posted=None, raw=None, errors=None, status: int = 200):
    session = db.session()
    grading = current_grading()
    page = pages.grading_page(session, grading, sample, posted=posted, raw=raw)
    users = pages.user_map(session, [sample.inspector_id, sample.graded_by])
    return render_template(
        "inspection/sample.html",
        page=page,
        sample=sample,
        recording=sample.recording,
        agent=sample.agent,
        inspector=users.get(sample.inspector_id),
        graded_by=users.get(sample.graded_by) if sample.graded_by else None,
        can_grade=access.may_grade(sample),
        can_redraw=access.may_redraw(sample),
        show_inspector=current_user.role != "agent",
        errors=errors or {},
        redraw_form=RedrawForm(),
        rubric=grading.rubric,
    ), status


@bp.post("/samples/<int:sample_id>")
@role_required("inspector")
def grade(sample_id: int):
    session = db.session()
    sample = _sample(sample_id)
    if not access.may_grade(sample):
        abort(403)
    grading = current_grading()
    parsed, errors = form_entries.parse(grading.rubric.weighted_sections, request.form)
    note = (request.form.get("note") or "").strip()[:2000]
    if errors:
        flash("有项目填写有误 Some items need correcting (marked below).", "error")
        return _grading_page(sample, posted=parsed, raw=request.form, errors=errors, status=400)
    suggested = {
        item_id: value
        for item_id, value in _suggested_entries(grading, sample).items()
        if item_id in parsed
    }
    try:
        call, result = save_grade(
            session,
            grading,
            sample,
            parsed,
            actor_id=current_user.id,
            suggested=suggested,
            note=note,
        )
    except (ScoringError, NotAllowed) as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".sample", sample_id=sample.id))
    session.commit()
    figures = " · ".join(
        f"{grading.rubric.section(sid).label.zh_CN} {tally.score:.2f}"
        for sid, tally in call.sections.items()
    )
    flash(
        f"已保存 Saved call {sample.slot} of agent {sample.agent.agent_number}: {figures}.", "info"
    )
    return redirect(url_for(".samples", month=sample.month) + f"#agent-{sample.agent_id}")


def _suggested_entries(grading, sample: SampledCall) -> dict:
    return tx.suggested_entries(tx.detection(grading, sample.recording.transcript or {}))


@bp.get("/samples/<int:sample_id>/audio")
@role_required(*access.ALL_ROLES)
def audio(sample_id: int):
    sample = _sample(sample_id)
    if not access.may_view_sample(sample):
        abort(403)
    path = _audio_file(sample.recording)
    if _starts_a_listen(request.headers.get("Range")):
        audit.record(
            "listen", "call_recording", sample.recording_id, sample_id=sample.id, month=sample.month
        )
        db.session().commit()
    return send_file(path, conditional=True, mimetype="audio/wav")


def _audio_file(recording: CallRecording) -> Path:
    """The stored recording, which must lie inside the recordings directory."""
    if recording.download_status != "downloaded" or not recording.audio_path:
        abort(404)
    root = current_app.config["SETTINGS"].recordings_dir.resolve()
    path = (root / recording.audio_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404)
    return path


def _starts_a_listen(range_header: str | None) -> bool:
    """A player fetches one listen in several Range requests; audit only the first."""
    if not range_header:
        return True
    return range_header.replace(" ", "").lower().startswith("bytes=0-")


# --------------------------------------------------------------------------- team leader


def _agent(agent_id: int) -> Agent:
    agent = db.session().get(Agent, agent_id, options=[joinedload(Agent.user)])
    if agent is None:
        abort(404)
    return agent


@bp.route("/<month>/agents/<int:agent_id>/entries", methods=["GET", "POST"])
@role_required(*access.ENTRY_ROLES)
def entries(month: str, agent_id: int):
    session = db.session()
    agent = _agent(agent_id)
    grading = current_grading()
    rubric = grading.rubric
    entry = session.scalar(
        select(AgentMonthEntry).where(
            AgentMonthEntry.month == month, AgentMonthEntry.agent_id == agent.id
        )
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        leader, leader_errors = form_entries.parse(rubric.weighted_sections, request.form)
        direct, direct_errors = form_entries.parse(rubric.direct_sections, request.form)
        errors = {**leader_errors, **direct_errors}
        evidence = (request.form.get("evidence") or "")[:4000]
        note = (request.form.get("note") or "")[:2000]
        if not errors:
            try:
                save_month_entries(
                    session,
                    grading,
                    month,
                    agent.id,
                    leader=leader,
                    direct=direct,
                    evidence=evidence,
                    note=note,
                    actor_id=current_user.id,
                )
                session.commit()
                flash(f"已保存 Saved the entries for agent {agent.agent_number}.", "info")
                return redirect(url_for(".agent_month", month=month, agent_id=agent.id))
            except (ScoringError, ValueError) as exc:
                session.rollback()
                errors["evidence"] = str(exc)
        flash("有项目填写有误 Some items need correcting (marked below).", "error")
        values = {
            item.id: request.form.get(form_entries.field_name(item), "")
            for item in rubric.items.values()
        }
        texts = {"evidence": evidence, "note": note}
        status = 400
    else:
        sections = rubric.sections
        current = form_entries.defaults(sections)
        if entry is not None:
            current.update(entry.leader_entries)
            current.update(entry.direct_entries)
        values = {
            item.id: form_entries.field_value(item, current.get(item.id))
            for item in rubric.items.values()
        }
        texts = {"evidence": entry.evidence if entry else "", "note": entry.note if entry else ""}
        status = 200
    users = pages.user_map(session, [entry.entered_by if entry else None])
    return render_template(
        "inspection/entries.html",
        month=month,
        agent=agent,
        entry=entry,
        entered_by=users.get(entry.entered_by) if entry and entry.entered_by else None,
        rubric=rubric,
        values=values,
        texts=texts,
        errors=errors,
    ), status


# --------------------------------------------------------------------------- results


@bp.get("/<month>/agents/<int:agent_id>")
@role_required(*access.ALL_ROLES)
def agent_month(month: str, agent_id: int):
    session = db.session()
    agent = _agent(agent_id)
    if not access.may_view_agent(agent):
        abort(403)
    grading = current_grading()
    scored = score_month(session, grading, month, agent.id)
    users = pages.user_map(
        session,
        [*scored.inspector_ids, scored.entry.entered_by if scored.entry else None],
    )
    page = pages.month_page(grading, scored, users, anonymous=current_user.role == "agent")
    audit.record("view", "inspection_month", f"{month}:{agent.id}")
    session.commit()
    return render_template(
        "inspection/agent.html",
        month=month,
        agent=agent,
        page=page,
        rubric=grading.rubric,
        entered_by=users.get(scored.entry.entered_by)
        if scored.entry and scored.entry.entered_by
        else None,
        can_enter=current_user.role in access.ENTRY_ROLES,
        is_agent=current_user.role == "agent",
    )


def _centre_arg(session) -> tuple[str | None, list[str]]:
    known = centres(session)
    centre = request.args.get("centre")
    if centre == "all":
        return None, known
    if centre not in known:
        centre = known[0] if known else None
    return centre, known


@bp.get("/<month>/report")
@role_required(*access.STAFF_ROLES)
def report(month: str):
    session = db.session()
    centre, known = _centre_arg(session)
    grading = current_grading()
    data = monthly_report(session, grading, month, centre)
    chart = charts.distribution(data.distribution(), title=f"{month} 等级分布 Grade distribution")
    sparks = {row.agent.id: charts.sparkline(row.trend) for row in data.rows}
    progress = {
        agent_id: (graded or 0, drawn)
        for agent_id, graded, drawn in session.execute(
            select(
                SampledCall.agent_id,
                func.count(SampledCall.graded_at),
                func.count(),
            )
            .where(SampledCall.month == month, SampledCall.claim.is_not(None))
            .group_by(SampledCall.agent_id)
        )
    }
    return render_template(
        "inspection/report.html",
        month=month,
        report=data,
        centre=centre,
        centres=known,
        chart=chart,
        sparks=sparks,
        rubric=grading.rubric,
        progress=progress,
    )


@bp.get("/<month>/report.csv")
@role_required(*access.STAFF_ROLES)
def report_csv(month: str):
    session = db.session()
    centre, _ = _centre_arg(session)
    grading = current_grading()
    data = monthly_report(session, grading, month, centre)
    audit.record("export", "inspection_report", month, centre=centre or "all")
    session.commit()
    name = f"inspection-{month}-{centre or 'all'}.csv"
    return Response(
        to_csv(data, grading),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _form_errors(form) -> str:
    return "; ".join(
        f"{form[name].label.text}: {' '.join(errs)}" for name, errs in form.errors.items()
    )
