"""Inspection pages of one sampled call: the grading form, saving a grade, the call's audio.

Every view of the page, every listen and every grade is audited. The server
scores every save with ivr.grading.scoring; the page's live figures are a
preview only.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ivr import db
from ivr.grading import ScoringError
from ivr.inspection import entries as form_entries
from ivr.inspection import transcript as tx
from ivr.inspection.models import SampledCall
from ivr.inspection.rubric import current as current_grading
from ivr.inspection.store import NotAllowed, save_grade
from webapp import audit
from webapp.access import can, permission_required
from webapp.audio import send_recording
from webapp.inspection import access, pages
from webapp.inspection.blueprint import bp, get_sample
from webapp.inspection.forms import RedrawForm


@bp.get("/samples/<int:sample_id>")
@permission_required("inspection.view")
def sample(sample_id: int):
    sample = _visible_sample(sample_id)
    audit.record("view", "inspection_sample", sample.id, recording_id=sample.recording_id)
    db.session().commit()
    return _grading_page(sample)


def _visible_sample(sample_id: int) -> SampledCall:
    sample = get_sample(sample_id)
    if not access.may_view_sample(sample):
        abort(403)
    return sample


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
        read_only=access.why_read_only(sample),
        can_redraw=access.may_redraw(sample),
        show_inspector=not can("inspection.own_results"),
        errors=errors or {},
        redraw_form=RedrawForm(),
        rubric=grading.rubric,
    ), status


@bp.post("/samples/<int:sample_id>")
@permission_required("inspection.grade")
def grade(sample_id: int):
    session = db.session()
    sample = get_sample(sample_id)
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
@permission_required("inspection.view")
def audio(sample_id: int):
    sample = _visible_sample(sample_id)
    return send_recording(
        sample.recording,
        "call_recording",
        sample.recording_id,
        mimetype="audio/wav",
        listen_on_head=True,
        sample_id=sample.id,
        month=sample.month,
    )
