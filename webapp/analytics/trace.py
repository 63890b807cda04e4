"""Call trace pages: find a call by the caller's number or its CallSid, read its every step.

Admins and team leaders see every call; inspectors the calls they sampled;
agents the calls they took (``calls.*`` in webapp/access.py). Every view of
a trace, every search and every listen to a recording is audited. Caller
numbers are shown in full only to the roles that see every call.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ivr import db
from ivr.analytics import search, visible
from ivr.analytics.trace import Rows, load, timeline
from ivr.calls.models import Call, CallEvent
from ivr.clock import centre_iso
from ivr.complaints import deadlines
from ivr.flows.loader import FlowBundle
from ivr.logs import mask_number
from ivr.registry import registry
from webapp import audit
from webapp.access import can, permission_required
from webapp.audio import send_recording

bp = Blueprint("trace", __name__, url_prefix="/calls")


def _bundle() -> FlowBundle:
    return current_app.extensions["ivr.flows"]


def _zone():
    return current_app.config["SETTINGS"].timezone


def centre_time(value) -> str:
    """``2026-11-23 10:00:05 +08:00``: to the second, in the centre's zone, with its offset."""
    if value is None:
        return ""
    local = value.astimezone(_zone())
    return f"{local:%Y-%m-%d %H:%M:%S} {local.isoformat()[-6:]}"


def caller(number: str) -> str:
    """The caller's number: in full for the roles that see every call, masked otherwise."""
    if not number:
        return "未知 unknown"
    return number if can("calls.trace_all") else mask_number(number)


def may_view(call: Call, events: list[CallEvent] | None = None) -> bool:
    if not current_user.is_authenticated:
        return False
    if can("calls.trace_all"):
        return True
    session = db.session()
    if can("calls.trace_sampled") and visible.sampled_by(session, call, current_user.id):
        return True
    if can("calls.trace_own"):
        agent = visible.agent_of(session, current_user.id)
        return agent is not None and visible.taken_by(session, call, agent, events)
    return False


def trace_url(call_sid: str | None) -> str | None:
    """The trace page of the call, if the current user may read it (a template global)."""
    if not call_sid or not search.CALL_SID.fullmatch(call_sid) or not can("calls.trace"):
        return None
    if can("calls.trace_all"):
        return url_for("trace.call", sid=call_sid)
    call = db.session().scalar(select(Call).where(Call.sid == call_sid))
    return url_for("trace.call", sid=call_sid) if call and may_view(call) else None


def _call(sid: str) -> Call:
    if not search.CALL_SID.fullmatch(sid):
        abort(404)
    call = db.session().scalar(select(Call).where(Call.sid == sid))
    if call is None:
        abort(404)
    return call


def _recording_models() -> dict[str, Any]:
    return {name: kind.model for name, kind in registry(current_app).recording_kinds.items()}


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {"centre_time": centre_time, "caller": caller}


@bp.get("/")
@permission_required("calls.trace")
def index():
    text = request.args.get("q", "")
    if not text:
        return render_template("analytics/calls.html", q="", calls=None, error=None)
    try:
        query = search.parse(text)
    except search.BadQuery as exc:
        return render_template("analytics/calls.html", q=text, calls=None, error=str(exc)), 400
    session = db.session()
    calls = search.find(session, query, visible=may_view)
    audit.record("search", "call", "", by=query.by, calls=[found.id for found in calls])
    session.commit()
    return render_template("analytics/calls.html", q=text, calls=calls, error=None)


@bp.get("/<sid>")
@permission_required("calls.trace")
def call(sid: str):
    session = db.session()
    found = _call(sid)
    rows: Rows = load(session, found, _recording_models())
    if not may_view(found, list(rows.events)):
        abort(403)
    audit.record("view", "call", found.id, sid=found.sid)
    session.commit()
    bundle = _bundle()
    sensitive = {
        node_id
        for node_id, node in bundle.nodes.items()
        if bundle.node_types[node.type].sensitive_input
    }
    types = {node_id: node.type for node_id, node in bundle.nodes.items()}
    trace = timeline(rows, sensitive, types)
    return render_template(
        "analytics/trace.html",
        trace=trace,
        call=found,
        started_iso=centre_iso(found.started_at, _zone()),
        ticket_words=deadlines,
    )


@bp.get("/<sid>/recordings/<kind>/<int:recording_id>")
@permission_required("calls.trace")
def audio(sid: str, kind: str, recording_id: int):
    session = db.session()
    found = _call(sid)
    model = _recording_models().get(kind)
    if not may_view(found):
        abort(403)
    row = session.get(model, recording_id) if model is not None else None
    if row is None or (row.call_id != found.id and row.call_sid != found.sid):
        abort(404)
    # Audited under the names the voicemail and inspection pages use: voicemail, call_recording.
    return send_recording(row, row.__tablename__.removesuffix("s"), row.id, call_id=found.id)


def init_app(app: Flask) -> None:
    from webapp import register_private

    register_private(app, bp)
    app.add_template_global(trace_url, "trace_url")
