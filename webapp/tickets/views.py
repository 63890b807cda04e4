"""Complaint and report tickets: list, open, handle, follow up, close (spec §5).

The first-contact owner (首问负责制) keeps the case until it closes; tickets
from the phone line start at the complaint desk (no owner) until a team
leader assigns them or someone takes them. Every view and change is audited
(spec §6); the ticket page shows its history from the audit trail.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ivr import db
from ivr.agents.models import Agent, CallRecording
from ivr.complaints import deadlines, service
from ivr.complaints.models import Ticket
from ivr.logs import mask_number
from ivr.staff.models import AuditEvent, User
from webapp import audit
from webapp.access import can, permission_required, roles_with
from webapp.paging import list_args
from webapp.tickets import queries
from webapp.tickets.forms import (
    ContactForm,
    DetailsForm,
    NewTicketForm,
    OwnerForm,
    StatusForm,
    TakeForm,
)

bp = Blueprint(
    "tickets", __name__, url_prefix="/tickets", static_folder="static", static_url_path="/static"
)

DESK = "投诉受理台 Complaint desk"


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "rules": deadlines,
        "mask_number": mask_number,
        "now": _now(),
        "DESK": DESK,
        "person": _person,
    }


def _now() -> datetime:
    return datetime.now(UTC)


def _person(user: User | None) -> str:
    if user is None:
        return DESK
    return user.display_name or user.username


@bp.get("/")
@permission_required("tickets.use")
def index():
    show, number = list_args(queries.FILTERS)
    query = queries.ticket_query(show, current_user.id, can("tickets.all"), _now())
    page = queries.ticket_page(db.session(), query, number)
    return render_template("tickets/list.html", page=page, show=show, filters=queries.FILTERS)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("tickets.use")
def new():
    form = NewTicketForm()
    form.about_agent.choices = _agent_choices()
    if form.validate_on_submit():
        session = db.session()
        ticket = service.open_ticket(
            session,
            channel=form.channel.data,
            category=form.category.data,
            matter=form.matter.data,
            caller=(form.caller.data or "").strip(),
            caller_name=(form.caller_name.data or "").strip(),
            content=form.content.data.strip(),
            handling=(form.handling.data or "").strip(),
            about_agent_id=form.about_agent.data or None,
            owner_id=current_user.id,  # the first contact owns the case
        )
        audit.record(
            "create",
            "ticket",
            ticket.id,
            channel=ticket.channel,
            category=ticket.category,
            matter=ticket.matter,
        )
        session.commit()
        flash(f"已登记工单 #{ticket.id} Ticket #{ticket.id} opened.", "info")
        return redirect(url_for(".ticket", ticket_id=ticket.id))
    return render_template("tickets/new.html", form=form), 400 if form.is_submitted() else 200


@bp.get("/<int:ticket_id>")
@permission_required("tickets.use")
def ticket(ticket_id: int):
    item = _get(ticket_id)
    audit.record("view", "ticket", item.id)
    db.session().commit()
    return _page(item)


@bp.post("/<int:ticket_id>")
@permission_required("tickets.use")
def update(ticket_id: int):
    item = _get(ticket_id)
    form = DetailsForm()
    form.about_agent.choices = _agent_choices()
    if not form.validate_on_submit():
        return _page(item, details=form, status=400)
    values = {
        name: (getattr(form, name).data or "").strip()
        for name in ("caller", "caller_name", "content", "handling", "result")
    }
    values.update(category=form.category.data, matter=form.matter.data)
    changes = service.update_fields(item, values)
    about = form.about_agent.data or None
    if about != item.about_agent_id:
        changes["about_agent_id"] = [item.about_agent_id, about]
        item.about_agent_id = about
    return _commit(item, "update", changes)


@bp.post("/<int:ticket_id>/status")
@permission_required("tickets.use")
def status(ticket_id: int):
    item = _get(ticket_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changes = service.move(item, form.status.data)
    except service.TicketError as exc:
        db.session().rollback()
        flash(str(exc), "error")
        return redirect(url_for(".ticket", ticket_id=item.id))
    return _commit(item, "status", changes)


@bp.post("/<int:ticket_id>/owner")
@permission_required("tickets.assign")
def assign(ticket_id: int):
    item = _get(ticket_id)
    form = OwnerForm()
    form.owner.choices = _owner_choices()
    if not form.validate_on_submit():
        abort(400)
    return _commit(item, "assign", service.assign(item, form.owner.data or None))


@bp.post("/<int:ticket_id>/take")
@permission_required("tickets.all")
def take(ticket_id: int):
    item = _get(ticket_id)
    if not TakeForm().validate_on_submit():
        abort(400)
    if item.owner_id is not None:
        flash("此工单已有负责人 This ticket already has an owner.", "error")
        return redirect(url_for(".ticket", ticket_id=item.id))
    return _commit(item, "assign", service.assign(item, current_user.id))


@bp.post("/<int:ticket_id>/contacts")
@permission_required("tickets.use")
def contact(ticket_id: int):
    item = _get(ticket_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _page(item, contact=form, status=400)
    attempt = service.add_contact(
        db.session(),
        item,
        user_id=current_user.id,
        outcome=form.outcome.data,
        note=(form.note.data or "").strip(),
    )
    return _commit(
        item,
        "contact",
        {"outcome": [None, attempt.outcome]},
        message="已记录联系 Contact attempt recorded.",
    )


# --- helpers ----------------------------------------------------------------------
def _get(ticket_id: int) -> Ticket:
    """The ticket, if this user may see it (agents: the tickets they own)."""
    item = db.session().get(Ticket, ticket_id)
    if item is None:
        abort(404)
    if not can("tickets.all") and item.owner_id != current_user.id:
        abort(403)
    return item


def _commit(item: Ticket, action: str, changes: dict, message: str = "") -> object:
    if changes:
        audit.record(action, "ticket", item.id, **changes)
        db.session().commit()
        flash(message or f"已保存 Saved: {', '.join(changes)}", "info")
    else:
        flash("没有更改 Nothing changed.", "info")
    return redirect(url_for(".ticket", ticket_id=item.id))


def _agent_choices() -> list[SelectChoice]:
    agents = db.session().scalars(
        select(Agent).options(selectinload(Agent.user)).order_by(Agent.agent_number)
    )
    return [SelectChoice(0, "—")] + [
        SelectChoice(a.id, f"{a.agent_number} {a.user.display_name or a.user.username}")
        for a in agents
    ]


def _owner_choices() -> list[SelectChoice]:
    users = db.session().scalars(
        select(User)
        .where(User.active, User.role.in_(sorted(roles_with("tickets.own"))))
        .order_by(User.username)
    )
    return [SelectChoice(0, DESK)] + [
        SelectChoice(u.id, f"{_person(u)} ({u.username})") for u in users
    ]


def _page(item: Ticket, *, details=None, contact=None, status: int = 200):
    session = db.session()
    if details is None:
        details = DetailsForm(formdata=None, obj=item, about_agent=item.about_agent_id or 0)
        details.about_agent.choices = _agent_choices()
    owner_form = OwnerForm(formdata=None, owner=item.owner_id or 0)
    owner_form.owner.choices = _owner_choices()
    history = session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.object_type == "ticket", AuditEvent.object_id == str(item.id))
        .where(AuditEvent.action != "view")
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    recordings = []
    if item.call_id is not None:
        recordings = session.scalars(
            select(CallRecording).where(CallRecording.call_id == item.call_id)
        ).all()
    return (
        render_template(
            "tickets/ticket.html",
            ticket=item,
            overdue=deadlines.overdue(item, _now()),
            closing_reason=deadlines.closing_reason(item),
            failed_attempts=deadlines.failed_attempts(item),
            details=details,
            status_form=StatusForm(formdata=None, status=item.status),
            owner_form=owner_form,
            take_form=TakeForm(formdata=None),
            contact_form=contact or ContactForm(formdata=None),
            history=history,
            recordings=recordings,
            next_statuses=deadlines.TRANSITIONS[item.status],
        ),
        status,
    )
