"""/flows/: the running flow drawn, the traffic of a period on it, and a trial-call keypad.

Admins and team leaders only. The drawing is Graphviz's (ivr.analytics.drawing,
cached per flows version); the traffic is counted in the database
(ivr.analytics.traffic); the keypad walks a trial call through the real
webhooks in this process (ivr.analytics.trial), its place in the flow kept in
the user's signed session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request, session
from flask.typing import ResponseReturnValue

from ivr import db
from ivr.analytics import drawing, overlay
from ivr.analytics import trial as trial_walk
from ivr.analytics.traffic import Period, Traffic, by_node, traffic
from ivr.calls import trial as trial_calls
from ivr.calls.models import Call
from ivr.flows import FlowBundle
from ivr.params import ADDRESS
from ivr.simulator import flask_transport
from webapp.access import permission_required

bp = Blueprint(
    "flows",
    __name__,
    url_prefix="/flows",
    static_folder="static",
    static_url_path="/static",
)
TRIAL = "flows.trial"  # the session key of the trial call's place (trial.Waiting)
DEFAULT_DAYS = 7
MAX_DAYS = 366
DEFAULT_CALLER = "+8643188881234"  # a Changchun landline


def bundle() -> FlowBundle:
    return current_app.extensions["ivr.flows"]


def drawings() -> drawing.Drawings:
    return current_app.extensions.setdefault("ivr.analytics.drawings", drawing.Drawings())


def _day(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default


def _choices() -> dict[str, Any]:
    """The page's filters from the query string, unknown values set back to their default."""
    flows = bundle()
    zone = current_app.config["SETTINGS"].timezone
    today = datetime.now(zone).date()
    last = _day("to", today)
    first = _day("from", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last or (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    locales = list(flows.prompts.by_locale)
    locale = request.args.get("locale", flows.default_locale)
    callers = request.args.get("callers", "")
    centre = request.args.get("centre", "")
    centres = {"provincial": flows.directory.provincial, **flows.directory.centres}
    return {
        "period": Period(first, last),
        "locale": locale if locale in locales else flows.default_locale,
        "callers": callers if callers in locales else "",
        "centre": centre if centre in centres else "",
        "locales": locales,
        "centres": centres,
    }


@bp.get("/")
@permission_required("flows.view")
def index() -> ResponseReturnValue:
    flows = bundle()
    choice = _choices()
    figures = traffic(
        db.session(),
        choice["period"],
        current_app.config["SETTINGS"].timezone,
        flows.directory,
        centre=choice["centre"],
        locale=choice["callers"],
    )
    try:
        svg = overlay.annotate(drawings().svg(flows, choice["locale"]), flows, figures)
        missing = ""
    except drawing.DotUnavailable as exc:
        svg, missing = "", str(exc)
    per_node = by_node(figures)
    return render_template(
        "analytics/flows.html",
        svg=svg,
        missing=missing,
        install=drawing.INSTALL,
        choice=choice,
        traffic=figures,
        per_node=per_node,
        gone=sorted(node for node in per_node if node not in flows.nodes),
        nodes=node_details(flows, choice["locale"], figures),
        start=flows.start,
        caller=DEFAULT_CALLER,
    )


def node_details(flows: FlowBundle, locale: str, figures: Traffic) -> dict[str, Any]:
    """What the side panel shows of each node: settings, prompts, figures, trial note."""
    details = {}
    for node in flows.nodes.values():
        kinds = drawing.field_kinds(flows, node)
        settings, prompts = {}, {}
        for name, value in node.fields.items():
            if kinds.get(name) == "prompt":
                prompts[name] = drawing.prompt_text(flows, locale, str(value))
            elif isinstance(value, dict):
                settings[name] = ", ".join(f"{k} → {v}" for k, v in value.items())
            else:
                settings[name] = str(value)
        details[node.id] = {
            "type": node.type,
            "settings": settings,
            "prompts": prompts,
            "options": [
                {"digits": o.digits, "target": o.target, "count": o.count, "share": o.share}
                for o in figures.options_at(node.id)
            ],
            "trial_note": flows.node_types[node.type].trial_note,
        }
    return details


# --- try it ------------------------------------------------------------------------------
def _phone(caller: str, called: str) -> trial_walk.TrialPhone:
    settings = current_app.config["SETTINGS"]
    transport = flask_transport(current_app.test_client(), settings.public_url)
    return trial_walk.TrialPhone(
        transport,
        settings.public_url,
        settings.twilio_auth_token,
        caller=caller,
        called=called,
        telephony=settings.telephony,
    )


def _answer(heard: trial_walk.Heard) -> ResponseReturnValue:
    flows = bundle()
    state = session.get(TRIAL) or {}
    if heard.waiting is not None and not heard.ended:
        session[TRIAL] = {**state, "waiting": heard.waiting.to_dict()}
    else:
        session.pop(TRIAL, None)
    notes = []
    for node_id in dict.fromkeys([*heard.nodes, heard.node]):
        node = flows.nodes.get(node_id)
        note = flows.node_types[node.type].trial_note if node else ""
        if note and note not in notes:
            notes.append(note)
    return jsonify(
        lines=[{"kind": kind, "text": text} for kind, text in heard.lines],
        node=heard.node,
        ended=heard.ended or heard.waiting is None,
        notes=notes,
        digits=heard.waiting.num_digits if heard.waiting else 0,
        finish=heard.waiting.finish_on_key if heard.waiting else "",
    )


def _called(flows: FlowBundle, locale: str) -> str:
    """The hotline number a caller dials for ``locale``'s prompts."""
    return next((n for n, loc in flows.numbers.items() if loc == locale), "")


def _waiting() -> trial_walk.Waiting | None:
    return trial_walk.Waiting.from_dict((session.get(TRIAL) or {}).get("waiting"))


def _walk(step: Callable[[trial_walk.TrialPhone], trial_walk.Heard]) -> ResponseReturnValue:
    state = session.get(TRIAL) or {}
    phone = _phone(state.get("caller", DEFAULT_CALLER), state.get("called", ""))
    try:
        heard = step(phone)
    except trial_walk.TrialError as exc:
        session.pop(TRIAL, None)
        return jsonify(error=f"试拨出错 The trial call failed: {exc}"), 502
    return _answer(heard)


@bp.post("/try/start")
@permission_required("flows.view")
def try_start() -> ResponseReturnValue:
    flows = bundle()
    settings = current_app.config["SETTINGS"]
    caller = request.form.get("caller", "").strip() or DEFAULT_CALLER
    locale = request.form.get("locale", flows.default_locale)
    if not ADDRESS.fullmatch(caller) or locale not in flows.prompts.by_locale:
        return jsonify(error="主叫号码或语言无效 Not a caller number or locale"), 400
    previous = _waiting()
    if previous is not None:  # a new call ends the one still going
        _phone(caller, "").hang_up(previous.sid)
    called = _called(flows, locale)
    sid = trial_calls.new_sid(settings.secret_key, settings.telephony)
    session_db = db.session()
    session_db.add(Call(sid=sid, from_number=caller, to_number=called, locale=locale, trial=True))
    session_db.commit()
    session[TRIAL] = {"caller": caller, "called": called}
    return _walk(lambda phone: phone.start(sid))


@bp.post("/try/keys")
@permission_required("flows.view")
def try_keys() -> ResponseReturnValue:
    waiting = _waiting()
    keys = request.form.get("keys", "")
    if waiting is None:
        return jsonify(error="没有进行中的试拨 No trial call: start one"), 409
    if not trial_walk.KEYS.fullmatch(keys):
        return jsonify(error="按键只能是 0-9、* 和 # Keys: 0-9, * and #"), 400
    return _walk(lambda phone: phone.press(waiting, keys))


@bp.post("/try/silence")
@permission_required("flows.view")
def try_silence() -> ResponseReturnValue:
    waiting = _waiting()
    if waiting is None:
        return jsonify(error="没有进行中的试拨 No trial call: start one"), 409
    return _walk(lambda phone: phone.silence(waiting))


@bp.post("/try/hangup")
@permission_required("flows.view")
def try_hangup() -> ResponseReturnValue:
    waiting = _waiting()
    if waiting is not None:
        state = session[TRIAL]
        _phone(state["caller"], state["called"]).hang_up(waiting.sid)
    session.pop(TRIAL, None)
    return jsonify(lines=[{"kind": "hangup", "text": ""}], node="", ended=True, notes=[])
