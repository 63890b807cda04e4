"""Twilio webhooks. Each answers from the signed URL state in milliseconds.

The database records what happened but is not needed to answer: if it is
down, the caller still hears the menu (and the failure is logged).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse

from ivr import db, jobs, metrics
from ivr.agents import distribution as acd
from ivr.agents import recordings as agent_recordings
from ivr.calls import journal, store
from ivr.calls.models import Call
from ivr.complaints import service as complaints
from ivr.fax import service as fax
from ivr.flows import FlowBundle, engine
from ivr.flows.nodes import REGISTRY
from ivr.flows.turn import CallState, Event, Turn
from ivr.voice.security import request_key, twilio_webhook
from ivr.voice.twiml_text import to_xml
from ivr.voicemail import service as voicemail

bp = Blueprint("voice", __name__, url_prefix="/voice")


def bundle() -> FlowBundle:
    return current_app.extensions["ivr.flows"]


def link(kind: str, state: CallState) -> str:
    base = current_app.config["SETTINGS"].public_url
    return f"{base}/voice/{kind}/{state.node}?{urlencode(state.query())}"


def twiml(response: VoiceResponse) -> Response:
    return Response(to_xml(response), mimetype="text/xml")


def new_turn(state: CallState) -> Turn:
    flows = bundle()
    if state.node not in flows.nodes:  # a URL from before a flow change: start over
        state = CallState(node=flows.start)
    settings = current_app.config["SETTINGS"]
    return Turn(
        bundle=flows,
        state=state,
        locale=flows.locale_for(request.form.get("To", "")),
        caller=request.form.get("From", ""),
        now=datetime.now(UTC),
        link=link,
        options={
            "voicemail_max_seconds": settings.voicemail_max_seconds,
            "recording_callback": f"{settings.public_url}/voice/recording",
        },
    )


# Domains that act on a request's events the first time it is seen: each names the
# event kinds it acts on (EVENT_KINDS) and does it in apply_events(session, call, events).
EFFECTS = (voicemail, fax, complaints, acd)


def has_effects(events: list[Event]) -> bool:
    return any(event.kind in domain.EVENT_KINDS for domain in EFFECTS for event in events)


def records(response: VoiceResponse) -> bool:
    """The TwiML starts a recording (<Record>, or a recorded <Dial>)."""
    return any(
        verb.name == "Record"
        or (verb.name == "Dial" and str(verb.attrs.get("record", "")).startswith("record"))
        for verb in response.verbs
    )


def save(
    events: list[Event], status: str | None = None, recording: str = "", *, opens: bool = False
) -> bool:
    """Record the request's events once, then start the jobs they call for.

    A request that only records steps goes to the call journal when there is
    one (Redis), which creates the call's row too; the rest is written here.
    ``opens``: the call's row is needed at once (written here, the steps still
    journaled), because the request starts a recording whose callback does not
    name the caller. A database failure never silences the call: it is logged
    and the caller still gets the TwiML. Returns False when nothing could be
    stored.
    """
    form = request.form
    locale = bundle().locale_for(form.get("To", ""))
    entry = store.Entry(
        call_sid=form["CallSid"],
        from_number=form.get("From", ""),
        to_number=form.get("To", ""),
        locale=locale,
        key=request_key(),
        events=tuple(events),
        at=datetime.now(UTC),
    )
    count(events, locale)
    quiet = not status and not recording and not has_effects(events)  # only to be recorded
    log = journal.journal()
    if quiet and log is not None:
        if opens:
            open_call(entry)
        if log.append(entry):
            return True
    jobs_to_run: list[tuple] = []
    try:
        session = db.session()
        call_id = store.ensure_call(session, entry)
        if store.record_events(session, call_id, entry) and not quiet:
            call = session.get(Call, call_id)
            if status:
                store.apply_status(call, status, form.get("CallDuration"))
            for domain in EFFECTS:
                jobs_to_run += domain.apply_events(session, call, events)
            if recording == agent_recordings.KIND:
                jobs_to_run += agent_recordings.apply_recording_callback(
                    session, call, form.to_dict(), request.args.to_dict()
                )
            elif recording:
                jobs_to_run += voicemail.apply_recording_callback(session, call, form.to_dict())
        session.commit()
    except SQLAlchemyError:
        current_app.logger.exception("could not record call events; answering anyway")
        metrics.DATABASE_ERRORS.inc()
        db.session().rollback()
        return False
    for name, *args in jobs_to_run:  # after the commit, so the job sees the rows
        jobs.enqueue(name, *args)
    return True


def open_call(entry: store.Entry) -> None:
    """Create the call's row at once: it holds the caller's number, which a
    recording callback does not repeat. The journal creates it if this fails."""
    try:
        session = db.session()
        store.ensure_call(session, entry)
        session.commit()
    except SQLAlchemyError:
        current_app.logger.exception("could not create the call's row; the journal will")
        metrics.DATABASE_ERRORS.inc()
        db.session().rollback()


def count(events: list[Event], locale: str) -> None:
    for event in events:
        if event.kind == "option":
            metrics.OPTIONS.labels(event.node, event.digits).inc()
        elif event.kind == "incoming":
            metrics.CALLS.labels(locale).inc()


def state_from_request(node: str) -> CallState:
    try:
        return CallState.from_query(node, request.args.to_dict())
    except ValueError:
        abort(400)


@bp.post("/incoming")
@twilio_webhook
def incoming() -> Response:
    g.call_sid = request.form["CallSid"]
    turn = new_turn(CallState(node=bundle().start))
    turn.event("incoming")
    engine.enter(turn, turn.state.node)
    save(turn.events, opens=records(turn.response))
    return twiml(turn.response)


@bp.post("/node/<node>")
@twilio_webhook
def enter_node(node: str) -> Response:
    """A Redirect: enter the node again (after silence) or afresh."""
    g.call_sid = request.form["CallSid"]
    turn = new_turn(state_from_request(node))
    engine.enter(turn, turn.state.node)
    save(turn.events, opens=records(turn.response))
    return twiml(turn.response)


@bp.post("/input/<node>")
@twilio_webhook
def node_input(node: str) -> Response:
    """A Gather's keys, or a Dial/Enqueue result, for the node the caller is at."""
    g.call_sid = request.form["CallSid"]
    turn = new_turn(state_from_request(node))
    params = request.form.to_dict()
    if "Digits" in params:
        sensitive = REGISTRY[turn.node.type].sensitive_input
        turn.event("digits", "***" if sensitive else params["Digits"])
    engine.handle(turn, params)
    save(turn.events, opens=records(turn.response))
    return twiml(turn.response)


@bp.post("/status")
@twilio_webhook
def status() -> Response:
    """Call progress callbacks; they may arrive late or out of order."""
    g.call_sid = request.form["CallSid"]
    call_status = request.form.get("CallStatus", "")
    event = Event("status", detail={"status": call_status})
    save([event], status=call_status)
    return Response(status=204)


@bp.post("/recording")
@twilio_webhook
def recording() -> Response:
    """Twilio's recordingStatusCallback: the audio is ready (or absent)."""
    g.call_sid = request.form["CallSid"]
    kind = request.args.get("kind", "voicemail")  # set in the recordingStatusCallback URL
    if not request.form.get("RecordingSid") or kind not in ("voicemail", agent_recordings.KIND):
        abort(400)
    event = Event(
        "recording",
        detail={
            "recording_sid": request.form["RecordingSid"],
            "status": request.form.get("RecordingStatus", ""),
        },
    )
    if not save([event], recording=kind):
        return Response(status=503)  # Twilio retries; the recording stays on Twilio meanwhile
    return Response(status=204)


@bp.post("/fallback")
@twilio_webhook
def fallback() -> Response:
    """Twilio's fallback URL, called when a webhook failed or timed out.

    It needs only the flows in memory: apologise and take a message (stored
    through the recording callback like any voicemail), never a dead line.
    """
    g.call_sid = request.form["CallSid"]
    settings = current_app.config["SETTINGS"]
    flows = bundle()
    locale = flows.locale_for(request.form.get("To", ""))
    response = VoiceResponse()
    if request.args.get("step") == "recorded":
        flows.prompts.render(locale, "fallback_saved", response, {})
        response.hangup()
    else:
        current_app.logger.error(
            "fallback for %s: error %s",
            request.form.get("ErrorUrl", "?"),
            request.form.get("ErrorCode", "?"),
        )
        flows.prompts.render(locale, "fallback_apology", response, {})
        response.record(
            action=f"{settings.public_url}/voice/fallback?step=recorded",
            method="POST",
            max_length=settings.voicemail_max_seconds,
            finish_on_key="#",
            play_beep=True,
            trim="trim-silence",
            recording_status_callback=f"{settings.public_url}/voice/recording",
            recording_status_callback_event="completed absent",
        )
        response.hangup()
    event = Event("fallback", detail={"error": request.form.get("ErrorCode", "")})
    save([event], opens=records(response))
    return twiml(response)
