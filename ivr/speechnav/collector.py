"""Menus that answer speech as well as keys: the TwiML of one spoken question.

A DTMF ``<Gather>`` around the prompts (keys work as today, also while the
prompt plays) with a short timeout, then ``<Connect><Stream>`` to the media
process with a signed ticket, then a ``<Redirect>`` to the result URL, where
:mod:`ivr.speechnav.views` routes what was heard. Twilio and Somleng both run
this as written (no ``input`` on Gather, no ``action`` on Connect).

Speech is offered only where the menu lists phrases for the call's locale, the
media process's heartbeat is fresh and it serves a model for that locale, and
the caller has not already failed twice at this menu (``ref`` K): otherwise
the keypad menu exactly as before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import current_app

from ivr.flows.collect import KEYPAD, Question
from ivr.speechnav import tokens
from ivr.speechnav.grammar import SpeechFlows
from ivr.speechnav.store import ResultStore, fresh

if TYPE_CHECKING:
    from ivr.flows.turn import Turn

GATHER_TIMEOUT = 2  # seconds after the prompt for keys before the stream listens
KEYS_ONLY = "K"
SECOND_TRY = "S2"


def flows() -> SpeechFlows:
    return current_app.extensions["ivr.speechnav.flows"]


def store() -> ResultStore:
    return current_app.extensions["ivr.speechnav.store"]


def stream_url() -> str:
    public = current_app.config["SETTINGS"].public_url
    return "ws" + public.removeprefix("http") + "/voice/stream"


def attempt(turn: Turn) -> int:
    return 2 if turn.state.ref == SECOND_TRY else 1


def served_locales() -> set[str]:
    """The locales the media process serves now (none when it is down)."""
    cache = current_app.extensions.setdefault("ivr.speechnav.heartbeat", {})
    import time

    now = time.monotonic()
    if now - cache.get("read", -1.0) > 1.0:  # at most one read a second per process
        try:
            cache["status"] = store().heartbeat()
        except Exception:  # noqa: BLE001 - the store is down: keys only, as without speech
            current_app.logger.warning("speech: cannot read the media heartbeat", exc_info=True)
            cache["status"] = None
        cache["read"] = now
    status = cache.get("status")
    return set(status.get("locales", [])) if fresh(status) else set()


def offered(turn: Turn) -> bool:
    return (
        turn.state.ref != KEYS_ONLY
        and flows().offers(turn.state.node, turn.locale)
        and turn.locale in served_locales()
    )


def listen(
    turn: Turn,
    gather: dict[str, Any],
    prompts: list[tuple[str, dict[str, str]]],
    *,
    kind: str,
    result_kind: str,
    extra: dict[str, str] | None = None,
) -> None:
    """Gather keys around ``prompts``, then stream to the media process, then the result URL."""
    gather_verb = turn.response.gather(
        method="POST", timeout=GATHER_TIMEOUT, action_on_empty_result=False, **gather
    )
    for prompt_id, values in prompts:
        turn.say(prompt_id, gather_verb, **values)
    ticket = tokens.Ticket(
        call=turn.call_sid,
        node=turn.state.node,
        locale=turn.locale,
        attempt=attempt(turn),
        kind=kind,
        nonce=tokens.new_nonce(),
        num_digits=gather.get("num_digits") or 0,
        finish_on_key=gather.get("finish_on_key", ""),
    )
    secret = current_app.config["SETTINGS"].secret_key
    stream = turn.response.connect().stream(url=stream_url())
    stream.parameter(name="token", value=tokens.sign(secret, ticket))
    query = urlencode({**(extra or {}), "k": ticket.nonce})
    turn.response.redirect(f"{turn.url(result_kind)}&{query}", method="POST")


class SpeechMenus:
    """The collector of every turn: speech at speech-enabled menus, the keypad elsewhere."""

    name = "speech"

    def ask(self, turn: Turn, question: Question) -> None:
        if not offered(turn):
            KEYPAD.ask(turn, question)
            return
        menu = flows().menus[turn.state.node]
        gather: dict[str, Any] = {"action": question.action}
        if question.num_digits:
            gather["num_digits"] = question.num_digits
        if question.finish_on_key:
            gather["finish_on_key"] = question.finish_on_key
        turn.event("speech-offered", attempt=attempt(turn))
        listen(
            turn, gather, [*question.prompts, (menu.prompt, {})], kind="menu", result_kind="heard"
        )


def ask_confirm(turn: Turn, option: str) -> None:
    """Read back what was heard: 1 or "yes" acts on it, 2 or "no" asks again."""
    name = flows().menus[turn.state.node].names[turn.locale][option]
    action = f"{turn.url('confirmed')}&{urlencode({'o': option})}"
    listen(
        turn,
        {"action": action, "num_digits": 1},
        [("speech_confirm", {"choice": name})],
        kind="confirm",
        result_kind="confirmed",
        extra={"o": option},
    )


def keys_only(turn: Turn) -> None:
    turn.state = replace(turn.state, ref=KEYS_ONLY)
