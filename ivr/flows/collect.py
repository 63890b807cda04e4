"""How a node collects the caller's answer: the one place that writes ``<Gather>``.

Keys on the keypad today; another way to answer (speech) is another
:class:`Collector`, chosen for the turn by the web layer. Every collector
posts what it got to ``action`` and, when the caller gave nothing, lets the
call fall through to ``retry`` (one more silent round).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ivr.flows.turn import Turn

Prompts = list[tuple[str, dict[str, str]]]


class Collector(Protocol):
    name: str

    def ask(
        self,
        turn: Turn,
        prompts: Prompts,
        *,
        action: str,
        retry: str,
        num_digits: int | None,
        finish_on_key: str,
        timeout: int,
    ) -> None: ...


class Keypad:
    """``<Gather input="dtmf">`` around the prompts, then a ``<Redirect>`` for silence."""

    name = "keys"

    def ask(
        self,
        turn: Turn,
        prompts: Prompts,
        *,
        action: str,
        retry: str,
        num_digits: int | None,
        finish_on_key: str,
        timeout: int,
    ) -> None:
        options: dict[str, Any] = {
            "action": action,
            "method": "POST",
            "input": "dtmf",
            "timeout": timeout,
            "finish_on_key": finish_on_key,
            "action_on_empty_result": False,
        }
        if num_digits:
            options["num_digits"] = num_digits
        gather = turn.response.gather(**options)
        for prompt_id, values in prompts:
            turn.say(prompt_id, gather, **values)
        turn.response.redirect(retry, method="POST")


KEYPAD = Keypad()
