"""Walk a flow: enter nodes until one waits for the caller, or hand it their input."""

from __future__ import annotations

from ivr.flows.turn import Turn

MAX_HOPS = 32


def enter(turn: Turn, node_id: str) -> None:
    """Speak ``node_id`` and every node it passes straight on to."""
    for _ in range(MAX_HOPS):
        turn.arrive(node_id)
        turn.event("enter")
        next_id = turn.node_type.enter(turn)
        if next_id is None:
            return
        node_id = next_id
    raise RuntimeError(f"flow walked {MAX_HOPS} nodes without waiting for input")


def handle(turn: Turn, params: dict[str, str]) -> None:
    """The caller's input (or a Dial/Enqueue result) for the node they are at."""
    next_id = turn.node_type.handle(turn, params)
    if next_id is not None:
        enter(turn, next_id)
