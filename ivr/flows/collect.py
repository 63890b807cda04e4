"""How a node collects the caller's answer: the one place that writes ``<Gather>``.

Keys on the keypad today; another way to answer (speech) is another
:class:`Collector`, chosen for the turn by the web layer. Every collector
posts what it got to the question's ``action`` and, when the caller gave
nothing, lets the call fall through to ``retry`` (one more silent round).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ivr.flows.turn import Turn


@dataclass(frozen=True)
class Question:
    prompts: list[tuple[str, dict[str, str]]]  # (prompt id, values) spoken while waiting
    action: str  # where the answer is posted
    retry: str  # where the call goes when nothing was given
    num_digits: int | None = 1  # None: until finish_on_key or the timeout
    finish_on_key: str = ""
    timeout: int = 6  # seconds of silence after the prompts


class Collector(Protocol):
    name: str

    def ask(self, turn: Turn, question: Question) -> None: ...


class Keypad:
    """``<Gather input="dtmf">`` around the prompts, then a ``<Redirect>`` for silence.

    A platform whose Gather takes keys only (Somleng) is not told ``input``."""

    name = "keys"

    def ask(self, turn: Turn, question: Question) -> None:
        options: dict[str, Any] = {
            "action": question.action,
            "method": "POST",
            "timeout": question.timeout,
            "finish_on_key": question.finish_on_key,
            "action_on_empty_result": False,
        }
        if turn.platform.gather_input:
            options["input"] = "dtmf"
        if question.num_digits:
            options["num_digits"] = question.num_digits
        gather = turn.response.gather(**options)
        for prompt_id, values in question.prompts:
            turn.say(prompt_id, gather, **values)
        turn.response.redirect(question.retry, method="POST")


KEYPAD = Keypad()
