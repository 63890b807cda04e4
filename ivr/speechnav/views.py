"""Where a spoken question's ``<Redirect>`` lands: confirm, act, ask again, or keys.

``/voice/heard/<node>`` reads the stream's result (the nonce in the signed URL)
and routes it; ``/voice/confirmed/<node>`` takes the read-back's answer (keys
from its Gather, or the stream's yes/no). No stored result counts as "not
understood", never a dead line: asked once more, then the keypad-only menu.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, abort, g, request

from ivr.flows import engine
from ivr.flows.turn import Turn
from ivr.speechnav import collector
from ivr.voice.security import twilio_webhook
from ivr.voice.views import new_turn, state_from_request, walked

bp = Blueprint("speechnav", __name__, url_prefix="/voice")
NONCE = re.compile(r"[0-9a-f]{24}")
OPTION = re.compile(r"[0-9#]{1,5}")
AUDIO = re.compile(r"speech/\d{4}/\d{2}/\d{2}/[0-9a-f]{24}\.wav")  # as ivr media names it


def _turn(node: str) -> Turn:
    g.call_sid = request.form["CallSid"]
    return new_turn(state_from_request(node))


def _result(turn: Turn) -> dict[str, Any]:
    nonce = request.args.get("k", "")
    if not NONCE.fullmatch(nonce):
        return {}
    try:
        return collector.store().get(nonce, turn.call_sid) or {}
    except Exception:  # noqa: BLE001 - the store is down: as if nothing was understood
        return {}


def _audio(result: dict[str, Any]) -> dict[str, str]:
    """Where the caller's speech was kept (flows/speech.yaml ``store_audio``), for the event."""
    audio = result.get("audio")
    return {"audio": audio} if isinstance(audio, str) and AUDIO.fullmatch(audio) else {}


def act(turn: Turn, option: str) -> None:
    """As if the option's key(s) were pressed (option 9: the area code and #)."""
    engine.handle(turn, {"Digits": option})


def not_understood(turn: Turn) -> None:
    """Asked once more (a second spoken try), then the keypad-only menu."""
    if collector.attempt(turn) >= 2:
        turn.event("speech-keys")
        collector.keys_only(turn)
    else:
        turn.say("speech_retry")
        turn.state = replace(turn.state, ref=collector.SECOND_TRY)
    engine.enter(turn, turn.state.node)


def _heard(turn: Turn, result: dict[str, Any]) -> None:
    menu = collector.flows().menus.get(turn.state.node)
    if menu is None:  # the flows changed since: enter the node afresh
        engine.enter(turn, turn.state.node)
        return
    if result.get("digits"):
        turn.event("digits", result["digits"])
        engine.handle(turn, {"Digits": result["digits"]})
        return
    if result.get("silence"):  # nothing said, nothing pressed: a silent round, as with keys
        turn.state = replace(turn.state, tries=turn.state.tries + 1)
        engine.enter(turn, turn.state.node)
        return
    text, confidence = result.get("text", ""), float(result.get("confidence", 0.0))
    option = menu.option_for(turn.locale, text)
    turn.event("speech", text=text, confidence=confidence, option=option or "", **_audio(result))
    if option is None:
        not_understood(turn)
    elif menu.confirm.needed(confidence):
        turn.event("speech-confirm", option)
        collector.ask_confirm(turn, option)
    else:
        act(turn, option)


@bp.post("/heard/<node>")
@twilio_webhook
def heard(node: str) -> Response:
    turn = _turn(node)
    _heard(turn, _result(turn))
    return walked(turn)


@bp.post("/confirmed/<node>")
@twilio_webhook
def confirmed(node: str) -> Response:
    turn = _turn(node)
    option = request.args.get("o", "")
    menu = collector.flows().menus.get(turn.state.node)
    if (
        menu is None
        or not OPTION.fullmatch(option)
        or option not in menu.names.get(turn.locale, {})
    ):
        abort(400)
    if "Digits" in request.form:
        digits = request.form["Digits"]
        answer = {"1": True, "2": False}.get(digits)
        turn.event("digits", digits)
    else:
        result = _result(turn)
        answer = {"1": True, "2": False}.get(result.get("digits", "")[:1])
        if answer is None and result.get("text"):
            answer = collector.flows().answer(turn.locale, result["text"])
            turn.event(
                "speech",
                text=result["text"],
                confidence=result.get("confidence", 0.0),
                **_audio(result),
            )
    if answer:
        turn.event("speech-confirmed", option)
        act(turn, option)
    else:
        turn.event("speech-refused", option)
        not_understood(turn)
    return walked(turn)
