"""The node types a flow may use, in one registry.

Each type declares its fields (validated when flows load) and builds TwiML:
``enter`` speaks the node and returns the next node to walk into at once (or
None when the caller must act); ``handle`` takes the caller's input posted to
the node's action URL and returns the node to go to (or None when done).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import replace
from typing import ClassVar

from ivr.flows.turn import Turn

# field kinds: node (a node id), prompt (a prompt id), schedule, options (key -> node), int
Fields = dict[str, str]

KEYPAD = set("0123456789*#")
MAX_SILENT_ROUNDS = 3


class NodeType:
    name: ClassVar[str]
    required: ClassVar[Fields] = {}
    optional: ClassVar[Fields] = {}
    takes_input: ClassVar[bool] = False
    # Keys typed here (PINs, personal numbers) are never stored or logged.
    sensitive_input: ClassVar[bool] = False
    # Values the node fills into its prompts at run time, e.g. {"centre"}.
    placeholders: ClassVar[frozenset[str]] = frozenset()

    def enter(self, turn: Turn) -> str | None:
        raise NotImplementedError

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        return turn.state.node  # input at a node that takes none: enter it again


class CountedEntry(NodeType):
    """A node that asks for keys and, after TRIES wrong or silent answers, says its
    ``failed_prompt`` and moves on to ``after``. Subclasses define ``_ask``."""

    TRIES: ClassVar[int] = 3
    failed_event: ClassVar[str]

    def _ask(self, turn: Turn) -> None:
        raise NotImplementedError

    def _retry(self, turn: Turn) -> str | None:
        turn.state = replace(turn.state, tries=turn.state.tries + 1)
        if turn.state.tries >= self.TRIES:
            return self._give_up(turn)
        self._ask(turn)
        return None

    def _give_up(self, turn: Turn) -> str:
        turn.event(self.failed_event)
        turn.say(turn.node["failed_prompt"])
        return turn.follow("after")


REGISTRY: dict[str, NodeType] = {}


def register(cls: type[NodeType]) -> type[NodeType]:
    REGISTRY[cls.name] = cls()
    return cls


def _silent_round(turn: Turn) -> bool:
    """Apologise on a replay; after three silent rounds say goodbye. True = hung up."""
    if turn.state.tries >= MAX_SILENT_ROUNDS:
        turn.event("silence-hangup")
        turn.say("silence_goodbye")
        turn.response.hangup()
        return True
    if turn.state.tries:
        turn.event("silence", tries=turn.state.tries)
        turn.say("no_input")
    return False


@register
class Say(NodeType):
    name = "say"
    required = {"prompt": "prompt", "next": "node"}

    def enter(self, turn: Turn) -> str | None:
        turn.say(turn.node["prompt"])
        return turn.node["next"]


@register
class Hours(NodeType):
    name = "hours"
    required = {"schedule": "schedule", "open": "node", "closed": "node"}

    def enter(self, turn: Turn) -> str | None:
        schedule = turn.bundle.schedules[turn.node["schedule"]]
        is_open = schedule.is_open(turn.now, turn.bundle.timezone)
        turn.event("hours", open=is_open)
        return turn.node["open" if is_open else "closed"]


@register
class Hangup(NodeType):
    name = "hangup"
    required = {"prompt": "prompt"}

    def enter(self, turn: Turn) -> str | None:
        turn.event("hangup")
        turn.say(turn.node["prompt"])
        turn.response.hangup()
        return None


@register
class Menu(NodeType):
    """One key picks an option; ``*`` goes back; anything else is an error."""

    name = "menu"
    required = {"prompt": "prompt", "options": "options"}
    takes_input = True

    def prompts(self, turn: Turn) -> list[tuple[str, dict[str, str]]]:
        return [(turn.node["prompt"], {})]

    def options(self, turn: Turn) -> dict[str, str]:
        return turn.node["options"]

    def enter(self, turn: Turn) -> str | None:
        if _silent_round(turn):
            return None
        turn.event("menu")
        turn.gather(self.prompts(turn))
        return None

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        digits = params.get("Digits", "")
        options = self.options(turn)
        if digits == "*":
            turn.event("back", digits)
            return turn.back()
        if digits in options:
            turn.event("option", digits, target=options[digits])
            turn.move(options[digits])
            return options[digits]
        turn.event("invalid", digits)
        turn.say("invalid_choice")
        return turn.state.node


@register
class Topic(Menu):
    """A recorded policy topic: 1 repeats it, 2 moves on, ``*`` goes back."""

    name = "topic"
    required = {"prompt": "prompt", "next": "node"}

    def prompts(self, turn: Turn) -> list[tuple[str, dict[str, str]]]:
        return [(turn.node["prompt"], {}), ("topic_footer", {})]

    def options(self, turn: Turn) -> dict[str, str]:
        return {"1": turn.state.node, "2": turn.node["next"]}


def _connect(turn: Turn, target: dict[str, str], timeout: int = 30) -> None:
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


CONNECTED = {"completed", "answered", "bridged"}


def _after_connect(turn: Turn, params: dict[str, str]) -> str | None:
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


def _is_connect_result(params: dict[str, str]) -> bool:
    return "DialCallStatus" in params or "QueueResult" in params


@register
class AreaCode(NodeType):
    """Option 9: key an area code and ``#``; connect to that centre or the provincial one."""

    name = "area_code"
    placeholders = frozenset({"centre"})
    required = {
        "prompt": "prompt",
        "retry_prompt": "prompt",
        "connecting_prompt": "prompt",
        "after": "node",
        "on_fail": "node",
    }
    takes_input = True
    RETRIES = 2

    def enter(self, turn: Turn) -> str | None:
        if turn.state.tries >= self.RETRIES:
            return self._give_up(turn)
        if turn.state.tries:
            turn.say("no_input")
        self._ask(turn)
        return None

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        if _is_connect_result(params):
            return _after_connect(turn, params)
        digits = params.get("Digits", "").rstrip("#")
        if "*" in digits:
            turn.event("back", digits)
            return turn.back()
        centre = turn.bundle.directory.by_code(digits) if re.fullmatch(r"\d{1,4}", digits) else None
        if centre is None:
            turn.event("invalid", digits)
            turn.say(turn.node["retry_prompt"])
            turn.state = replace(turn.state, tries=turn.state.tries + 1)
            if turn.state.tries >= self.RETRIES:
                return self._give_up(turn)
            self._ask(turn)
            return None
        turn.event("option", digits, centre=centre.code)
        turn.say(turn.node["connecting_prompt"], centre=centre.name(turn.locale))
        _connect(turn, {"dial": centre.number})
        return None

    def _ask(self, turn: Turn) -> None:
        turn.event("menu")
        turn.gather(
            [(turn.node["prompt"], {})],
            num_digits=None,
            finish_on_key="#",
            timeout=8,
            keep_tries=True,
        )

    def _give_up(self, turn: Turn) -> str:
        turn.event("area-code-failed")
        return turn.follow("on_fail")


# Prompts the node types speak themselves; every locale must define them.
ENGINE_PROMPTS = (
    "invalid_choice",
    "no_input",
    "silence_goodbye",
    "goodbye",
    "topic_footer",
    "agent_unavailable",
    "service_unavailable",
    "fallback_apology",
    "fallback_saved",
)


# Node types that live with their domain register themselves when imported.
PLUGINS = (
    "ivr.voicemail.nodes",
    "ivr.accounts.nodes",
    "ivr.fax.nodes",
    "ivr.agents.nodes",
    "ivr.complaints.nodes",
)


def load_node_types() -> dict[str, NodeType]:
    for module in PLUGINS:
        importlib.import_module(module)
    return REGISTRY
