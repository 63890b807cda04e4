"""The telephony webhooks. Each answers from the signed URL state in milliseconds.

The database records what happened but is not needed to answer: if it is
down, the caller still hears the menu (and the failure is logged). What the
domains do with a request's events, and with recording callbacks, is
registered in ``ivr.registry``; this module names no domain.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, request
from twilio.twiml.voice_response import VoiceResponse

from ivr import metrics
from ivr.calls import store, trial
from ivr.calls.events import Event
from ivr.calls.recorder import Recorder, RecordingUpdate
from ivr.flows import FlowBundle, engine
from ivr.flows.collect import KEYPAD
from ivr.flows.turn import SILENCE_SECONDS, CallState, Turn
from ivr.registry import LazyServices, registry
from ivr.voice import silence
from ivr.voice.security import request_key, twilio_webhook

bp = Blueprint("voice", __name__, url_prefix="/voice")


def bundle() -> FlowBundle:
    return current_app.extensions["ivr.flows"]


def link(kind: str, state: CallState) -> str:
    base = current_app.config["SETTINGS"].public_url
    return f"{base}/voice/{kind}/{state.node}?{urlencode(state.query())}"


def twiml(response: VoiceResponse) -> Response:
    return Response(current_app.extensions["ivr.telephony"].render(response), mimetype="text/xml")


def new_turn(state: CallState) -> Turn:
    flows = bundle()
    if state.node not in flows.nodes:  # a URL from before a flow change: start over
        state = CallState(node=flows.start)
    elif any(node not in flows.nodes for node in state.stack):  # menus removed since
        state = replace(state, stack=tuple(n for n in state.stack if n in flows.nodes))
    settings = current_app.config["SETTINGS"]
    plugins = registry(current_app)
    return Turn(
        bundle=flows,
        state=state,
        locale=flows.locale_for(request.form.get("To", "")),
        caller=request.form.get("From", ""),
        now=datetime.now(UTC),
        link=link,
        call_sid=request.form["CallSid"],
        trial=is_trial(),
        options={
            "voicemail_max_seconds": settings.voicemail_max_seconds,
            "recording_callback": f"{settings.public_url}/voice/recording",
            "silence_url": f"{settings.public_url}/voice/silence",
        },
        services=LazyServices(plugins.services),
        platform=current_app.extensions["ivr.telephony"].platform,
        collector=plugins.collector or KEYPAD,
    )


def is_trial() -> bool:
    """The request's call is a trial call this server issued (ivr.calls.trial)."""
    return trial.is_trial(current_app.config["SETTINGS"].secret_key, request.form["CallSid"])


def records(response: VoiceResponse) -> bool:
    """The TwiML starts a recording (<Record>, or a recorded <Dial>)."""
    return any(
        verb.name == "Record"
        or (verb.name == "Dial" and str(verb.attrs.get("record", "")).startswith("record"))
        for verb in response.verbs
    )


def save(
    events: list[Event],
    status: str | None = None,
    recording: RecordingUpdate | None = None,
    *,
    opens: bool = False,
) -> bool:
    """Record this request's events once (see :mod:`ivr.calls.recorder`)."""
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
    recorder: Recorder = current_app.extensions["ivr.recorder"]
    return recorder.record(
        entry,
        status=status,
        duration=form.get("CallDuration"),
        recording=recording,
        opens=opens,
        trial=is_trial(),
    )


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


def walked(turn: Turn) -> Response:
    save(turn.events, opens=records(turn.response))
    return twiml(turn.response)


@bp.post("/incoming")
@twilio_webhook
def incoming() -> Response:
    g.call_sid = request.form["CallSid"]
    turn = new_turn(CallState(node=bundle().start))
    # The centre whose area the caller is in: the statistics count the call there.
    turn.event("incoming", centre=turn.bundle.directory.for_caller(turn.caller).code)
    engine.enter(turn, turn.state.node)
    return walked(turn)


@bp.post("/node/<node>")
@twilio_webhook
def enter_node(node: str) -> Response:
    """A Redirect: enter the node again (after silence) or afresh."""
    g.call_sid = request.form["CallSid"]
    turn = new_turn(state_from_request(node))
    engine.enter(turn, turn.state.node)
    return walked(turn)


@bp.post("/input/<node>")
@twilio_webhook
def node_input(node: str) -> Response:
    """A Gather's keys, or a Dial/Enqueue result, for the node the caller is at."""
    g.call_sid = request.form["CallSid"]
    turn = new_turn(state_from_request(node))
    params = request.form.to_dict()
    if "Digits" in params:
        turn.event("digits", "***" if turn.node_type.sensitive_input else params["Digits"])
    engine.handle(turn, params)
    return walked(turn)


@bp.post("/status")
@twilio_webhook
def status() -> Response:
    """Call progress callbacks; they may arrive late or out of order."""
    g.call_sid = request.form["CallSid"]
    call_status = request.form.get("CallStatus", "")
    save([Event("status", detail={"status": call_status})], status=call_status)
    return Response(status=204)


@bp.post("/recording")
@twilio_webhook
def recording() -> Response:
    """The recordingStatusCallback: the audio is ready (or absent).

    ``?kind=`` (signed with the URL) names the registered recording kind; none
    means a message the caller left (a ``<Record>``: the registry's message kind).
    """
    g.call_sid = request.form["CallSid"]
    plugins = registry(current_app)
    kind = plugins.recording_kinds.get(request.args.get("kind") or plugins.message_kind)
    if not request.form.get("RecordingSid") or kind is None or kind.on_callback is None:
        abort(400)
    event = Event(
        "recording",
        detail={
            "recording_sid": request.form["RecordingSid"],
            "status": request.form.get("RecordingStatus", ""),
        },
    )
    update = RecordingUpdate(kind.on_callback, request.form.to_dict(), request.args.to_dict())
    if not save([event], recording=update):
        return Response(status=503)  # Twilio retries; the recording stays on Twilio meanwhile
    return Response(status=204)


@bp.get("/silence/<int:seconds>.wav")
def silence_file(seconds: int) -> Response:
    """Quiet for platforms without ``<Pause>`` (Somleng): ``Turn.pause`` plays this.

    Public and unsigned like the prompts' audio (it is silence); fetched by the
    platform, so cached for a day.
    """
    if seconds not in SILENCE_SECONDS:
        abort(404)
    response = Response(silence.wav(seconds), mimetype="audio/wav")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


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
            recording_status_callback=f"{settings.public_url}/voice/recording",
            **current_app.extensions["ivr.telephony"].platform.record_options(),
        )
        response.hangup()
    event = Event("fallback", detail={"error": request.form.get("ErrorCode", "")})
    save([event], opens=records(response))
    return twiml(response)
