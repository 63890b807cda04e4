"""Walk a trial call through the running flow, one caller's action at a time.

The staff page's keypad drives it: each key (or a silence) is one step. The
requests are the real webhooks, signed as the platform signs them
(``ivr.simulator.Phone``) and answered in this process, for a CallSid the
server issued as a trial (``ivr.calls.trial``): nodes skip their side effects
and the recorder runs no domain effect for it. A step plays the TwiML as a
phone would until the flow waits for the caller again (a ``<Gather>``) or the
call ends; what it needs to go on (the Gather's action URL and what silence
leads to) comes back as a :class:`Waiting`, which the page keeps in the
user's signed session: no process keeps call state.

What a trial call cannot do on a keypad is stood in for and said: a
``<Record>`` records nothing, a ``<Dial>`` rings nobody (no answer), a queue
is full, a speech menu hears silence.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own server's TwiML
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ivr.simulator import Phone, Transport

MAX_REQUESTS = 20  # per step: Redirects and Dial results followed before the caller acts
NODE_IN_URL = re.compile(r"/voice/(?:node|input)/([^/?]+)")
KEYS = re.compile(r"[0-9*#]{1,32}")


class TrialError(RuntimeError):
    """The server answered a trial request with an error."""


@dataclass(frozen=True)
class Waiting:
    """Where a trial call waits for the caller's keys (kept in the user's session)."""

    sid: str
    action: str  # the Gather's action URL
    num_digits: int  # 0: until finish_on_key
    finish_on_key: str
    after: str  # the TwiML after the Gather (where silence leads), a <Response> document
    node: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Waiting | None:
        try:
            return cls(**data)
        except TypeError:
            return None


@dataclass
class Heard:
    """What one step played: (kind, text) lines, where the call is now, and whether it ended."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)  # the nodes the step's requests went to
    waiting: Waiting | None = None
    ended: bool = False

    @property
    def node(self) -> str:
        if self.waiting is not None:
            return self.waiting.node
        return self.nodes[-1] if self.nodes else ""


def node_of(url: str) -> str:
    match = NODE_IN_URL.search(urlsplit(url).path)
    return match.group(1) if match else ""


class TrialPhone:
    """A phone for trial calls, on ``transport`` (this app's test client)."""

    def __init__(
        self,
        transport: Transport,
        public_url: str,
        auth_token: str,
        *,
        caller: str,
        called: str,
        telephony: str = "twilio",
    ) -> None:
        self.phone = Phone(
            transport, public_url, auth_token, caller=caller, called=called, telephony=telephony
        )
        self.public_url = public_url.rstrip("/")

    def start(self, sid: str) -> Heard:
        incoming = f"{self.public_url}/voice/incoming"
        return self._run(sid, Heard(), (incoming, {"CallStatus": "ringing"}))

    def press(self, waiting: Waiting, keys: str) -> Heard:
        """The caller keys ``keys`` at the Gather they wait at (typed ahead: the first
        ``num_digits``; up to the finish key)."""
        if not KEYS.fullmatch(keys):
            raise ValueError("keys: 0-9, * and # only")
        if waiting.num_digits:
            keys = keys[: waiting.num_digits]
        elif waiting.finish_on_key and waiting.finish_on_key in keys:
            keys = keys[: keys.index(waiting.finish_on_key)]
        heard = Heard(lines=[("press", keys)])
        return self._run(waiting.sid, heard, (waiting.action, {"Digits": keys}))

    def silence(self, waiting: Waiting) -> Heard:
        """The caller says nothing: the Gather times out and the TwiML after it plays."""
        heard = Heard(lines=[("silence", "")])
        document = ET.fromstring(waiting.after)  # noqa: S314 - our own server's TwiML
        return self._run(waiting.sid, heard, self._play(waiting.sid, document, heard))

    def hang_up(self, sid: str) -> None:
        """The caller hangs up: the platform's final status callback."""
        self.phone.post(
            f"{self.public_url}/voice/status",
            {**self.phone.call_params(sid), "CallStatus": "completed", "CallDuration": "0"},
        )

    # --- playing ---------------------------------------------------------------------------
    def _run(self, sid: str, heard: Heard, request: tuple[str, dict[str, str]] | None) -> Heard:
        """Make requests and play their TwiML until the caller must act or the call ends."""
        for _ in range(MAX_REQUESTS):
            if request is None:
                return heard
            url, extra = request
            request = self._play(sid, self._request(sid, url, extra, heard), heard)
        raise TrialError(f"the flow did not wait for the caller within {MAX_REQUESTS} requests")

    def _request(self, sid: str, url: str, extra: dict[str, str], heard: Heard) -> ET.Element:
        heard.nodes.append(node_of(url))
        status, body = self.phone.post(url, {**self.phone.call_params(sid), **extra})
        if status != 200:
            raise TrialError(f"{urlsplit(url).path} answered {status}")
        return ET.fromstring(body)  # noqa: S314 - our own server's TwiML

    def _play(
        self, sid: str, document: ET.Element, heard: Heard
    ) -> tuple[str, dict[str, str]] | None:
        """Play one TwiML document; the next request, or None (waiting, or ended)."""
        verbs = list(document)
        for index, verb in enumerate(verbs):
            tag, text = verb.tag, (verb.text or "").strip()
            if tag == "Say":
                heard.lines.append(("say", text))
            elif tag == "Play":
                heard.lines.append(("play", text))
            elif tag == "Gather":
                for inner in verb:
                    kind = "say" if inner.tag == "Say" else "play"
                    heard.lines.append((kind, (inner.text or "").strip()))
                after = ET.Element("Response")
                after.extend(verbs[index + 1 :])
                heard.waiting = Waiting(
                    sid=sid,
                    action=verb.get("action", ""),
                    num_digits=int(verb.get("numDigits", "0") or 0),
                    finish_on_key=verb.get("finishOnKey", "#"),
                    after=ET.tostring(after, encoding="unicode"),
                    node=node_of(verb.get("action", "")),
                )
                return None
            elif tag == "Redirect":
                return text, {}
            elif tag == "Record":
                heard.lines.append(("record", "试拨不录音 A trial call records nothing"))
            elif tag == "Dial":
                target = text or " ".join((c.text or "").strip() for c in verb)
                heard.lines.append(("dial", f"{target}：试拨不接通 a trial call rings nobody"))
                if verb.get("action"):
                    return verb.get("action", ""), {"DialCallStatus": "no-answer"}
            elif tag == "Enqueue":
                heard.lines.append(("queue", f"{text}：试拨不排队 a trial call joins no queue"))
                if verb.get("action"):
                    return verb.get("action", ""), {"QueueResult": "queue-full", "QueueTime": "0"}
            elif tag == "Connect":
                heard.lines.append(("speech", "试拨只用按键 a trial call only keys"))
            elif tag in ("Hangup", "Reject"):
                break
        heard.ended = True
        self.hang_up(sid)
        return None
