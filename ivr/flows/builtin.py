"""The node types every flow has: say, hours, hangup, menu, topic and area_code."""

from __future__ import annotations

import re

from ivr.flows.dialing import after_connect, connect, is_connect_result
from ivr.flows.turn import Turn
from ivr.flows.types import CountedEntry, NodeType, silent_round


class Say(NodeType):
    name = "say"
    required = {"prompt": "prompt", "next": "node"}

    def enter(self, turn: Turn) -> str | None:
        turn.say(turn.node["prompt"])
        return turn.node["next"]


class Hours(NodeType):
    name = "hours"
    required = {"schedule": "schedule", "open": "node", "closed": "node"}

    def enter(self, turn: Turn) -> str | None:
        schedule = turn.bundle.schedules[turn.node["schedule"]]
        is_open = schedule.is_open(turn.now, turn.bundle.timezone)
        turn.event("hours", open=is_open)
        return turn.node["open" if is_open else "closed"]


class Hangup(NodeType):
    name = "hangup"
    required = {"prompt": "prompt"}

    def enter(self, turn: Turn) -> str | None:
        turn.event("hangup")
        turn.say(turn.node["prompt"])
        turn.response.hangup()
        return None


class Menu(NodeType):
    """One key picks an option; ``*`` goes back; anything else is an error."""

    name = "menu"
    required = {"prompt": "prompt", "options": "options"}
    optional = {"speech": "data"}  # what callers may say instead (a domain reads it)
    placeholders = frozenset({"choice"})  # what was heard, read back (speech menus)
    takes_input = True

    def prompts(self, turn: Turn) -> list[tuple[str, dict[str, str]]]:
        return [(turn.node["prompt"], {})]

    def options(self, turn: Turn) -> dict[str, str]:
        return turn.node["options"]

    def enter(self, turn: Turn) -> str | None:
        if silent_round(turn):
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


class Topic(Menu):
    """A recorded policy topic: 1 repeats it, 2 moves on, ``*`` goes back."""

    name = "topic"
    required = {"prompt": "prompt", "next": "node"}
    optional = {}

    def prompts(self, turn: Turn) -> list[tuple[str, dict[str, str]]]:
        return [(turn.node["prompt"], {}), ("topic_footer", {})]

    def options(self, turn: Turn) -> dict[str, str]:
        return {"1": turn.state.node, "2": turn.node["next"]}


class AreaCode(CountedEntry):
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
    optional = {"speech": "data"}  # centres by name (a domain reads it)
    takes_input = True
    TRIES = 2
    failed_event = "area-code-failed"
    failed_prompt_field = None
    give_up_field = "on_fail"

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        if is_connect_result(params):
            return after_connect(turn, params)
        digits = params.get("Digits", "").rstrip("#")
        if "*" in digits:
            turn.event("back", digits)
            return turn.back()
        centre = turn.bundle.directory.by_code(digits) if re.fullmatch(r"\d{1,4}", digits) else None
        if centre is None:
            turn.event("invalid", digits)
            turn.say(turn.node["retry_prompt"])
            return self._retry(turn)
        turn.event("option", digits, centre=centre.code)
        turn.say(turn.node["connecting_prompt"], centre=centre.name(turn.locale))
        connect(turn, {"dial": centre.number})
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


BUILTIN = (Say, Hours, Hangup, Menu, Topic, AreaCode)
