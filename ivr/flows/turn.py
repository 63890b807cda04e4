"""One webhook's worth of flow: where the call is, and the TwiML it gets back.

Call state travels in the action URLs Twilio calls back (signed by Twilio, so
it cannot be forged): the node, the stack of menus for ``*``, a step counter
that makes every URL unique (so a retry is recognisable), and the count of
silent rounds. No web process keeps anything in memory between requests.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twilio.twiml.voice_response import VoiceResponse

from ivr.calls.events import Event
from ivr.flows.collect import KEYPAD, Collector, Question
from ivr.flows.platform import TWILIO, Platform
from ivr.params import UUID

if TYPE_CHECKING:
    from ivr.flows.loader import FlowBundle, Node
    from ivr.flows.types import NodeType

MAX_STACK = 12
# A recording to confirm (Twilio's RE..., Somleng's UUID), or the centre whose agents a call
# waits for (C0431, Cprovincial), a personal number's lock row (PA17), a fax document and
# number (FX1-0431…), a menu's second spoken try (S2) or its keys only (K) once speech was
# not understood.
REF = re.compile(
    rf"(RE[0-9a-f]{{32}}|{UUID}|C(?:0\d{{2,3}}|provincial)|PA\d{{1,12}}|FX\d{{1,2}}(?:-\d{{7,12}})?|S2|K)?"
)
# The last path segment of a recording URL that names the recording (Somleng's), extension aside.
RECORDING_IN_URL = re.compile(rf"/({UUID})(?:\.(?:wav|mp3))?")
SILENCE_SECONDS = range(1, 11)  # the silence files served: 1 to 10 s


@dataclass(frozen=True)
class CallState:
    node: str
    stack: tuple[str, ...] = ()
    step: int = 0
    tries: int = 0
    ref: str = ""  # what the node is working on, e.g. the recording to confirm

    def query(self) -> dict[str, str]:
        query = {"stack": ".".join(self.stack), "n": str(self.step), "t": str(self.tries)}
        if self.ref:
            query["r"] = self.ref
        return query

    @classmethod
    def from_query(cls, node: str, args: dict[str, str]) -> CallState:
        """Parse what :meth:`query` wrote; raises ValueError on anything else."""
        stack = tuple(s for s in args.get("stack", "").split(".") if s)
        step, tries = int(args.get("n", "0")), int(args.get("t", "0"))
        ref = args.get("r", "")
        if len(stack) > MAX_STACK or not 0 <= step < 10_000 or not 0 <= tries < 100:
            raise ValueError("call state out of range")
        if not REF.fullmatch(ref):
            raise ValueError("bad reference")
        return cls(node=node, stack=stack, step=step, tries=tries, ref=ref)


# link(kind, state) -> absolute URL; kind is "node" (enter) or "input" (Gather/Dial action)
Linker = Callable[[str, CallState], str]


@dataclass
class Turn:
    """One webhook's walk. Everything a node needs comes in here, so nodes (and the
    engine) never reach for the web framework: ``services`` holds what domains
    provide to their nodes (a fax catalogue, agents' presence, account lookups),
    built lazily by the web layer."""

    bundle: FlowBundle
    state: CallState
    locale: str
    caller: str
    now: datetime
    link: Linker
    call_sid: str = ""
    # A trial call from the staff web UI (ivr.calls.trial): nodes skip what they would
    # change outside the call (a lockout count, an agent's claim) and say so in trial_note.
    trial: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)  # e.g. voicemail_max_seconds
    services: Mapping[str, Any] = field(default_factory=dict)
    collector: Collector = KEYPAD
    platform: Platform = TWILIO  # what the telephony platform executes
    response: VoiceResponse = field(default_factory=VoiceResponse)
    events: list[Event] = field(default_factory=list)

    @property
    def node(self) -> Node:
        return self.bundle.nodes[self.state.node]

    @property
    def node_type(self) -> NodeType:
        return self.bundle.node_types[self.node.type]

    # --- speaking -------------------------------------------------------
    def say(self, prompt_id: str, target: Any = None, **values: str) -> None:
        """Speak (or play) a prompt in the call's locale into ``target`` (default: response)."""
        self.bundle.prompts.render(self.locale, prompt_id, target or self.response, values)

    def pause(self, seconds: int, target: Any = None) -> None:
        """Quiet for ``seconds``: ``<Pause>``, or where the platform has none (Somleng) a
        ``<Play>`` of the silence file the voice webhooks serve (``options["silence_url"]``)."""
        target = target or self.response
        if self.platform.pause:
            target.pause(length=seconds)
            return
        seconds = min(max(seconds, SILENCE_SECONDS.start), SILENCE_SECONDS[-1])
        target.play(f"{self.options.get('silence_url', '')}/{seconds}.wav")

    # --- moving ---------------------------------------------------------
    def event(self, kind: str, digits: str = "", **detail: Any) -> None:
        self.events.append(Event(kind, self.state.node, digits, detail))

    def move(self, target: str) -> None:
        """Go to ``target`` by choice: remember where we came from for ``*``."""
        here = self.state.node
        stack = self.state.stack
        if target != here and self.bundle.node_types[self.bundle.nodes[here].type].takes_input:
            stack = (*stack, here)[-MAX_STACK:]
        self.state = replace(self.state, node=target, stack=stack, tries=0, ref="")

    def follow(self, field: str) -> str:
        """Move on to the node this node names in ``field`` (e.g. "after") and return it."""
        target = self.node[field]
        self.move(target)
        return target

    def back(self) -> str:
        """``*``: the previous menu, or this one again at the top."""
        if not self.state.stack:
            return self.state.node
        *rest, parent = self.state.stack
        self.state = replace(self.state, node=parent, stack=tuple(rest), tries=0, ref="")
        return parent

    def arrive(self, node_id: str) -> None:
        """Entering a node that is already on the stack unwinds to it."""
        stack = self.state.stack
        if node_id in stack:
            stack = stack[: stack.index(node_id)]
        self.state = replace(self.state, node=node_id, stack=stack)

    def url(self, kind: str, **changes: Any) -> str:
        state = replace(self.state, step=self.state.step + 1, **changes)
        return self.link(kind, state)

    # --- collecting -----------------------------------------------------
    def record_message(self, prompt_id: str) -> None:
        """Say the prompt, then record after the beep (``#`` ends it, silence trimmed).

        The recording status callback stores the audio; when nothing at all is
        recorded Twilio falls through to the Redirect, which counts a try.
        Somleng always posts the action (``RecordingDuration`` 0 when nothing
        was recorded: :meth:`recording` and the nodes count the try then), and
        has no ``trim`` nor ``absent`` callbacks to ask for.
        """
        self.event("menu")
        self.say(prompt_id)
        self.response.record(
            action=self.url("input", ref=""),
            method="POST",
            max_length=self.options.get("voicemail_max_seconds", 120),
            finish_on_key="#",
            play_beep=True,
            timeout=5,
            recording_status_callback=self.options.get("recording_callback", ""),
            recording_status_callback_method="POST",
            **self.platform.record_options(),
        )
        self.response.redirect(self.url("node", tries=self.state.tries + 1), method="POST")

    def recording(self, params: dict[str, str]) -> str | None:
        """The recording a ``<Record>`` action posted, or None if ``params`` are not one.

        Twilio names it (``RecordingSid``); Somleng's action posts only
        ``RecordingUrl`` and ``RecordingDuration``, whose URL ends in the
        recording's UUID, the ``RecordingSid`` of its status callback. A URL
        that does not gives a UUID derived from the call and the URL: stable
        across retries, the same shape as Somleng's.
        """
        if params.get("RecordingSid"):
            return params["RecordingSid"]
        url = params.get("RecordingUrl")
        if url is None or "RecordingDuration" not in params:
            return None
        path = url.split("?", 1)[0].rstrip("/")
        named = RECORDING_IN_URL.fullmatch(path[path.rfind("/") :]) if "/" in path else None
        if named:
            return named.group(1)
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.call_sid} {url}"))

    def gather(
        self,
        prompts: list[tuple[str, dict[str, str]]],
        *,
        num_digits: int | None = 1,
        finish_on_key: str = "",
        timeout: int = 6,
        keep_tries: bool = False,
    ) -> None:
        """Ask for the caller's answer; on silence the call falls through to one more try.

        Input normally starts the count of tries afresh; ``keep_tries`` carries it
        into the action URL for nodes that also count wrong entries.
        """
        question = Question(
            prompts,
            action=self.url("input", tries=self.state.tries if keep_tries else 0),
            retry=self.url("node", tries=self.state.tries + 1),
            num_digits=num_digits,
            finish_on_key=finish_on_key,
            timeout=timeout,
        )
        self.collector.ask(self, question)
