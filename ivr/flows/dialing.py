"""Putting a caller through: ``<Dial>`` a number or SIP address, and what comes back."""

from __future__ import annotations

from ivr.flows.turn import Turn

CONNECTED = {"completed", "answered", "bridged"}


def connect(turn: Turn, target: dict[str, str], timeout: int = 30) -> None:
    """Dial a number or SIP address; the action URL hears the result.

    Queues (``{enqueue: …}``) are the agents domain's: it holds callers in the way
    the telephony platform allows.
    """
    turn.event("dial", target=target["dial"])
    dial = turn.response.dial(action=turn.url("input"), method="POST", timeout=timeout)
    if target["dial"].startswith("sip:"):
        dial.sip(target["dial"])
    else:
        dial.number(target["dial"])


def after_connect(turn: Turn, params: dict[str, str]) -> str | None:
    """The Dial came back: a finished conversation ends the call, a failure apologises."""
    result = params.get("DialCallStatus", "")
    turn.event("connect-result", result=result)
    if result in CONNECTED:
        turn.say("goodbye")
        turn.response.hangup()
        return None
    turn.say("agent_unavailable")
    return turn.follow("after")


def is_connect_result(params: dict[str, str]) -> bool:
    return "DialCallStatus" in params
