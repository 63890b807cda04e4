"""Putting a caller through: ``<Dial>`` a number or SIP address, and what comes back."""

from __future__ import annotations

from ivr.flows.turn import Turn

CONNECTED = {"completed", "answered", "bridged"}


def connect(turn: Turn, target: dict[str, str], timeout: int = 30) -> None:
    """Dial a number/SIP address or wait in a Twilio queue; the action URL hears the result."""
    action = turn.url("input")
    if "enqueue" in target:
        turn.event("enqueue", queue=target["enqueue"])
        turn.response.enqueue(target["enqueue"], action=action, method="POST")
        return
    turn.event("dial", target=target["dial"])
    dial = turn.response.dial(action=action, method="POST", timeout=timeout)
    if target["dial"].startswith("sip:"):
        dial.sip(target["dial"])
    else:
        dial.number(target["dial"])


def after_connect(turn: Turn, params: dict[str, str]) -> str | None:
    """Dial/Enqueue came back: a finished conversation ends the call, a failure apologises."""
    result = params.get("DialCallStatus") or params.get("QueueResult") or ""
    turn.event("connect-result", result=result)
    if result in CONNECTED:
        turn.say("goodbye")
        turn.response.hangup()
        return None
    if result == "hangup":  # the caller hung up while waiting
        return None
    turn.say("agent_unavailable")
    return turn.follow("after")


def is_connect_result(params: dict[str, str]) -> bool:
    return "DialCallStatus" in params or "QueueResult" in params
