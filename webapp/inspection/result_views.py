"""Inspection pages of a month: the team leader's entries, an agent's month, the monthly report.

Each view of an agent's month and each export of the report is audited.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr import db
from ivr.grading import ScoringError
from ivr.inspection import charts
from ivr.inspection import entries as form_entries
from ivr.inspection.models import AgentMonthEntry, SampledCall
from ivr.inspection.report import centres, monthly_report, to_csv
from ivr.inspection.results import score_month
from ivr.inspection.rubric import current as current_grading
from ivr.inspection.store import save_month_entries
from webapp import audit
from webapp.access import can, permission_required
from webapp.agents.board import centre_names
from webapp.inspection import access, pages
from webapp.inspection.blueprint import bp, get_agent


@bp.route("/<month>/agents/<int:agent_id>/entries", methods=["GET", "POST"])
@permission_required("inspection.entries")
def entries(month: str, agent_id: int):
    session = db.session()
    agent = get_agent(agent_id)
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


@bp.get("/<month>/agents/<int:agent_id>")
@permission_required("inspection.view")
def agent_month(month: str, agent_id: int):
    session = db.session()
    agent = get_agent(agent_id)
    if not access.may_view_agent(agent):
        abort(403)
    grading = current_grading()
    scored = score_month(session, grading, month, agent.id)
    users = pages.user_map(
        session,
        [*scored.inspector_ids, scored.entry.entered_by if scored.entry else None],
    )
    page = pages.month_page(grading, scored, users, anonymous=can("inspection.own_results"))
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
        is_agent=can("inspection.own_results"),
    )


def _centre_arg(session: Session) -> tuple[str | None, list[str]]:
    known = centres(session)
    centre = request.args.get("centre")
    if centre == "all":
        return None, known
    if centre not in known:
        centre = known[0] if known else None
    return centre, known


@bp.get("/<month>/report")
@permission_required("inspection.reports")
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
        centre_names=centre_names(),
        chart=chart,
        sparks=sparks,
        rubric=grading.rubric,
        progress=progress,
    )


@bp.get("/<month>/report.csv")
@permission_required("inspection.reports")
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
