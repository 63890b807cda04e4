"""The ``agent`` node type (option 0): an agent of the caller's own centre, or a place in line.

The caller's number picks the centre (Changchun callers first choose the
provincial or the city centre). A centre whose ``agents`` is ``{enqueue:
queue}`` has real call distribution:

- a free agent: ``<Dial>`` the longest-idle one, recorded on two channels;
- none free: ``<Enqueue>`` with this node's input URL as wait URL; every wait
  request announces the caller's position and tries to claim an agent; once
  claimed it answers ``<Leave/>`` and the Enqueue action dials that agent;
- none free on a platform without ``<Enqueue>`` (Somleng): the caller joins our
  own line and is held by a ``<Redirect>`` loop to this node's input URL; each
  round tries to claim an agent and dials at once when one is claimed, else
  announces the position, plays the hold audio (``hold_music``, else silence)
  and redirects again. The wait is measured from our own join time;
- after ``max_wait`` seconds in line, or when the agent does not answer: a free
  provincial agent if ``overflow_provincial``, else the ``overflow`` node
  (e.g. an offer to leave a message).

A centre with ``{dial: number}`` is dialled directly, as a switchboard.
The centre being served travels in the signed URL state as ``ref`` (C0431).

The events the statistics read are the same in both profiles, timed by us
(our line's join time, our webhooks' times), never by the platform's
``QueueTime`` or ``DialCallDuration``: ``enqueue`` (centre, position),
``queue-wait`` each round (position, waited), ``queue-left`` once per stay
(outcome ``answered``, ``overflowed``, ``hung-up`` or ``lost``, waited),
recorded by whoever takes the call out of the line (so by the final status
callback for a caller who hangs up in our own line), ``agent-dial`` (the
agent offered the call), then ``agent-answered`` or ``agent-missed``.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from ivr.agents import distribution
from ivr.agents.presence import Claim, Presence
from ivr.flows.dialing import after_connect, connect
from ivr.flows.directory import Centre
from ivr.flows.turn import Turn
from ivr.flows.types import NodeType, silent_round

# Values this node speaks into prompts: {position} in line, {agent} number (工号).

DEFAULT_MAX_WAIT = 180  # seconds in line before overflow
DEFAULT_RING_TIMEOUT = 20  # seconds an agent's phone rings
HOLD_PAUSE = 5  # seconds of quiet at the end of each wait-URL round
CONNECTED = {"completed", "answered"}
PROVINCIAL = "provincial"


PRESENCE = "agents.presence"  # the service (Turn.services) that knows who is free
# Twilio's QueueResult -> how the caller left the line (``leave``: claimed or timed out).
QUEUE_RESULTS = {"bridged": "answered", "bridging-in-process": "answered", "hangup": "hung-up"}


def left(turn: Turn, outcome: str, waited: int | None, centre: str) -> None:
    """The caller is out of the line: once per stay, by whoever took them out."""
    turn.event("queue-left", outcome=outcome, waited=waited, centre=centre)


def _presence(turn: Turn) -> Presence:
    return turn.services[PRESENCE]


def _number(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        return default
    return min(max(number, low), high)


class Agent(NodeType):
    name = "agent"
    placeholders = frozenset({"position", "agent", "centre"})
    required = {"choose_prompt": "prompt", "connecting_prompt": "prompt", "after": "node"}
    trial_note = (
        "试拨不占用座席、不排队，按无人接听继续。 "
        "A trial call claims no agent and joins no queue: it goes on as if nobody were free."
    )
    optional = {
        "queue_prompt": "prompt",  # the caller's place in line: {position}
        "hold_prompt": "prompt",  # hold message or {play: music} between announcements
        "hold_music": "prompt",  # {play: audio} held to, where the platform has no queue
        "transfer_prompt": "prompt",  # a waiting caller is put through: {agent}
        "overflow_prompt": "prompt",  # before overflowing to the provincial centre: {centre}
        "overflow": "node",  # nobody could take the call (default: after)
        "overflow_provincial": "flag",
        "max_wait": "int",
        "ring_timeout": "int",
    }
    takes_input = True

    # --- entering -------------------------------------------------------
    def enter(self, turn: Turn) -> str | None:
        centre = turn.bundle.directory.for_caller(turn.caller)
        turn.event("route", centre=centre.code)
        if centre.ask_provincial:
            if silent_round(turn):
                return None
            turn.event("menu")
            turn.gather([(turn.node["choose_prompt"], {})])
            return None
        return self._connect(turn, centre)

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        if "QueueResult" in params:
            return self._left_queue(turn, params["QueueResult"])
        if "QueuePosition" in params or "QueueTime" in params:
            return self._waiting(turn, params)
        if "DialCallStatus" in params:
            if self._centre(turn) is None:  # a switchboard dialled directly
                return after_connect(turn, params)
            return self._dial_ended(turn, params["DialCallStatus"])
        if "Digits" not in params and not turn.platform.enqueue and self._centre(turn):
            return self._hold_round(turn)  # our own line's Redirect
        digits = params.get("Digits", "")
        directory = turn.bundle.directory
        if digits == "*":
            turn.event("back", digits)
            return turn.back()
        if digits in ("1", "2"):
            centre = directory.provincial if digits == "1" else directory.for_caller(turn.caller)
            turn.event("option", digits, centre=centre.code)
            return self._connect(turn, centre)
        turn.event("invalid", digits)
        turn.say("invalid_choice")
        return turn.state.node

    def _connect(self, turn: Turn, centre: Centre) -> str | None:
        turn.say(turn.node["connecting_prompt"], centre=centre.name(turn.locale))
        if "enqueue" not in centre.agents:
            connect(turn, centre.agents)
            return None
        if turn.trial:  # a trial call claims no agent and joins no line
            turn.say("agent_unavailable")
            return self._give_up(turn)
        turn.state = replace(turn.state, ref=f"C{centre.code}")
        claim = distribution.claim_now(_presence(turn), centre.code, turn.call_sid)
        if claim is not None:
            self._dial(turn, claim, centre)
            return None
        if not turn.platform.enqueue:
            distribution.join_queue(_presence(turn), centre.code, turn.call_sid, turn.now)
            self._joined(turn, centre)
            return self._hold_round(turn)
        self._enqueue(turn, centre)
        return None

    # --- connecting -----------------------------------------------------
    def _dial(self, turn: Turn, claim: Claim, centre: Centre) -> None:
        turn.event(
            "agent-dial", agent=claim.agent_id, number=claim.agent_number, centre=centre.code
        )
        options: dict[str, object] = {
            "action": turn.url("input"),
            "method": "POST",
            "timeout": _number(turn.node.fields.get("ring_timeout"), DEFAULT_RING_TIMEOUT, 5, 120),
        }
        callback = turn.options.get("recording_callback")
        if turn.platform.dial_record:
            options["record"] = "record-from-answer-dual"
        if callback and turn.platform.dial_record:
            query = urlencode({"kind": "agent-call", "agent": claim.agent_id})
            options.update(
                recording_status_callback=f"{callback}?{query}",
                recording_status_callback_event="completed absent",
                recording_status_callback_method="POST",
            )
        dial = turn.response.dial(**options)
        if claim.phone.startswith("sip:"):
            dial.sip(claim.phone)
        else:
            dial.number(claim.phone)

    def _enqueue(self, turn: Turn, centre: Centre) -> None:
        queue = centre.agents["enqueue"]
        distribution.join_queue(_presence(turn), centre.code, turn.call_sid, turn.now)
        self._joined(turn, centre)
        url = turn.url("input")  # the action (QueueResult) and the wait URL (QueuePosition)
        turn.response.enqueue(
            queue, action=url, method="POST", wait_url=url, wait_url_method="POST"
        )

    def _joined(self, turn: Turn, centre: Centre) -> None:
        place = distribution.place(_presence(turn), turn.call_sid, turn.now)
        turn.event(
            "enqueue",
            queue=centre.agents["enqueue"],
            centre=centre.code,
            position=place.position if place else None,
        )

    def _waiting(self, turn: Turn, params: dict[str, str]) -> None:
        """Twilio's wait URL, requested again each time its TwiML has played.

        Twilio's queue times the caller out by its own ``QueueTime``; the events
        record the wait by our own line's join time (``QueueTime`` only when our
        line cannot be read).
        """
        centre = self._centre(turn)
        position = _number(params.get("QueuePosition"), 1, 1, 10_000)
        queue_time = _number(params.get("QueueTime"), 0, 0, 86_400)
        place = distribution.place(_presence(turn), turn.call_sid, turn.now)
        waited = place.waited(turn.now) if place is not None else queue_time
        max_wait = _number(turn.node.fields.get("max_wait"), DEFAULT_MAX_WAIT, 0, 3600)
        if centre is None or queue_time >= max_wait:
            turn.event("queue-timeout", waited=waited)
            turn.response.leave()
            return None
        claim = distribution.claim_waiting(_presence(turn), centre.code, turn.call_sid, position)
        if claim is not None:
            turn.event("agent-claimed", agent=claim.agent_id, position=position, waited=waited)
            turn.response.leave()
            return None
        turn.event("queue-wait", position=position, waited=waited)
        self._hold(turn, position)
        return None

    def _hold_round(self, turn: Turn) -> str | None:
        """One round of our own line (no ``<Enqueue>``): claim, overflow, or hold again."""
        centre, backend, sid = self._centre(turn), _presence(turn), turn.call_sid
        held = distribution.claimed(backend, sid) if centre else None
        if centre is not None and held is not None:  # a retried round that had claimed
            self._put_through(turn, held, centre)
            return None
        place = distribution.place(backend, sid, turn.now)
        if centre is None or place is None:
            # Hung up (the status callback took the call out of the line), or the line
            # cannot be read: claim nothing; a caller still there may leave a message.
            turn.event("queue-lost")
            turn.say("agent_unavailable")
            return self._give_up(turn)
        waited = place.waited(turn.now)
        if waited >= _number(turn.node.fields.get("max_wait"), DEFAULT_MAX_WAIT, 0, 3600):
            turn.event("queue-timeout", waited=waited)
            if distribution.leave_queue(backend, sid):
                left(turn, "overflowed", waited, centre.code)
            return self._overflow(turn)
        claim = distribution.claim_in_line(backend, centre.code, sid, place.position)
        if claim is not None:
            turn.event(
                "agent-claimed", agent=claim.agent_id, position=place.position, waited=waited
            )
            left(turn, "answered", waited, centre.code)
            self._put_through(turn, claim, centre)
            return None
        turn.event("queue-wait", position=place.position, waited=waited)
        self._hold(turn, place.position)
        turn.response.redirect(turn.url("input"), method="POST")
        return None

    def _hold(self, turn: Turn, position: int) -> None:
        """A waiting round, in either profile: the place in line, the hold prompt, the music."""
        if "queue_prompt" in turn.node.fields:
            turn.say(turn.node["queue_prompt"], position=str(position))
        if "hold_prompt" in turn.node.fields:
            turn.say(turn.node["hold_prompt"])
        if "hold_music" in turn.node.fields:
            turn.say(turn.node["hold_music"])
        else:
            turn.pause(HOLD_PAUSE)

    def _put_through(self, turn: Turn, claim: Claim, centre: Centre) -> None:
        """A waiting caller's agent is claimed: say so, and dial them."""
        if "transfer_prompt" in turn.node.fields:
            turn.say(turn.node["transfer_prompt"], agent=claim.agent_number)
        self._dial(turn, claim, centre)

    # --- results --------------------------------------------------------
    def _left_queue(self, turn: Turn, result: str) -> str | None:
        sid, backend, centre = turn.call_sid, _presence(turn), self._centre(turn)
        place = distribution.place(backend, sid, turn.now)
        was_waiting = distribution.leave_queue(backend, sid)
        turn.event("connect-result", result=result)
        claim = distribution.claimed(backend, sid) if result == "leave" else None
        if was_waiting:
            outcome = QUEUE_RESULTS.get(result, "lost")
            if result == "leave":
                outcome = "answered" if claim is not None else "overflowed"
            left(
                turn,
                outcome,
                place.waited(turn.now) if place else None,
                centre.code if centre else "",
            )
        if result == "leave":
            if claim is not None and centre is not None:
                self._put_through(turn, claim, centre)
                return None
            return self._overflow(turn)
        if result in ("bridged", "bridging-in-process"):  # put through by Twilio itself
            turn.say("goodbye")
            turn.response.hangup()
            return None
        distribution.release(backend, sid)  # hung up, or the queue failed: nothing stays claimed
        if result == "hangup":
            return None
        turn.say("agent_unavailable")
        return self._give_up(turn)

    def _dial_ended(self, turn: Turn, status: str) -> str | None:
        agent = distribution.release(_presence(turn), turn.call_sid)
        turn.event("connect-result", result=status, agent=agent)
        centre = self._centre(turn)
        code = centre.code if centre else ""
        if status in CONNECTED:
            turn.event("agent-answered", agent=agent, centre=code)
        else:
            turn.event("agent-missed", result=status, agent=agent, centre=code)
        if status in CONNECTED:
            turn.say("goodbye")
            turn.response.hangup()
            return None
        turn.say("agent_unavailable")
        return self._give_up(turn)

    def _overflow(self, turn: Turn) -> str | None:
        centre = self._centre(turn)
        turn.event("queue-overflow", centre=centre.code if centre else "")
        provincial = turn.bundle.directory.provincial
        if (
            turn.node.fields.get("overflow_provincial")
            and centre is not None
            and centre.code != PROVINCIAL
            and "enqueue" in provincial.agents
        ):
            claim = distribution.claim_now(_presence(turn), PROVINCIAL, turn.call_sid)
            if claim is not None:
                turn.state = replace(turn.state, ref=f"C{PROVINCIAL}")
                if "overflow_prompt" in turn.node.fields:
                    turn.say(turn.node["overflow_prompt"], centre=provincial.name(turn.locale))
                self._dial(turn, claim, provincial)
                return None
        turn.say("agent_unavailable")
        return self._give_up(turn)

    def _give_up(self, turn: Turn) -> str:
        target = turn.node.fields.get("overflow") or turn.node["after"]
        turn.move(target)
        return target

    def _centre(self, turn: Turn) -> Centre | None:
        """The centre this call is being served by (from the URL state), if any."""
        ref = turn.state.ref
        if not ref.startswith("C"):
            return None
        directory = turn.bundle.directory
        code = ref[1:]
        return directory.provincial if code == PROVINCIAL else directory.centres.get(code)
