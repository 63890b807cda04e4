"""What a node type is: its fields (validated when flows load) and how it speaks.

``enter`` speaks the node and returns the next node to walk into at once (or
None when the caller must act); ``handle`` takes the caller's input posted to
the node's action URL and returns the node to go to (or None when done).
Node types are registered per app (``ivr.registry``) and handed to the loader;
the engine knows none of them by name.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from ivr.flows.turn import Turn

if TYPE_CHECKING:
    from ivr.flows.loader import Node
    from ivr.flows.platform import Platform

# field kinds: node (a node id), prompt (a prompt id), schedule, options (key -> node), int,
# flag, target (a number or SIP address)
Fields = dict[str, str]

MAX_SILENT_ROUNDS = 3

# Prompts the core node types speak themselves; every locale must define them.
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


class NodeType:
    name: ClassVar[str]
    required: ClassVar[Fields] = {}
    optional: ClassVar[Fields] = {}
    takes_input: ClassVar[bool] = False
    # Keys typed here (PINs, personal numbers) are never stored or logged.
    sensitive_input: ClassVar[bool] = False
    # Values the node fills into its prompts at run time, e.g. {"centre"}.
    placeholders: ClassVar[frozenset[str]] = frozenset()
    # What a real call changes here that a trial call (Turn.trial) does not, shown beside
    # the "try it" keypad; empty for nodes that change nothing outside the call.
    trial_note: ClassVar[str] = ""

    def enter(self, turn: Turn) -> str | None:
        raise NotImplementedError

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        return turn.state.node  # input at a node that takes none: enter it again

    def platform_notes(self, node: Node, platform: Platform) -> list[str]:
        """What this node asks of the telephony platform that ``platform`` does not do
        (``ivr flows check`` lists it); nothing by default."""
        return []


NodeTypes = dict[str, NodeType]


class CountedEntry(NodeType):
    """A node that asks for keys and gives up after TRIES wrong or silent answers.

    Giving up records ``failed_event``, says the node's ``failed_prompt`` field
    (when the type names one) and moves on to the node in its ``give_up_field``.
    Subclasses define ``_ask``.
    """

    TRIES: ClassVar[int] = 3
    failed_event: ClassVar[str]
    failed_prompt_field: ClassVar[str | None] = "failed_prompt"
    give_up_field: ClassVar[str] = "after"

    def enter(self, turn: Turn) -> str | None:
        if turn.state.tries >= self.TRIES:
            return self._give_up(turn)
        if turn.state.tries:  # back here after silence
            turn.say("no_input")
        self._ask(turn)
        return None

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
        if self.failed_prompt_field:
            turn.say(turn.node[self.failed_prompt_field])
        return turn.follow(self.give_up_field)


def silent_round(turn: Turn) -> bool:
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
