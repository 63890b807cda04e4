"""The ``complaint`` node type (option 5): the duty team leader, or a recorded complaint.

Entering the node opens a ticket for the call at once (owner: the complaint
desk). In staffed hours the caller is put through to ``desk`` (the duty team
leader / complaint desk: a number or SIP address), recorded on two channels.
If nobody answers within ``ring_timeout`` seconds, or out of hours, the caller
records the complaint instead: it is stored and transcribed as a voicemail
(the voicemail service handles the ``voicemail-*`` events) and filed on the
ticket.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from ivr.flows.loader import Node
from ivr.flows.platform import Platform
from ivr.flows.turn import Turn
from ivr.flows.types import NodeType
from ivr.voicemail.nodes import message_recorded

TARGET = re.compile(r"\+?\d{3,15}|sip:\S+")
DEFAULT_RING_TIMEOUT = 25
CONNECTED = {"completed", "answered"}
ATTEMPTS = 2  # empty recordings before giving up


class Complaint(NodeType):
    name = "complaint"
    required = {
        "prompt": "prompt",  # before the transfer: "请稍等，我将您的电话转给值班班长。"
        "record_prompt": "prompt",
        "saved_prompt": "prompt",
        "empty_prompt": "prompt",
        "after": "node",
    }
    optional = {"desk": "target", "schedule": "schedule", "ring_timeout": "int"}
    takes_input = True
    trial_note = (
        "试拨不开立工单，不转接值班班长（按无人接听继续），不录音。 "
        "A trial call opens no ticket, rings no desk (it goes on as if nobody answered) "
        "and records nothing."
    )

    def enter(self, turn: Turn) -> str | None:
        if turn.state.tries:  # the recording came back empty (or the caller was silent)
            turn.event("complaint-empty")
            turn.say(turn.node["empty_prompt"])
            if turn.state.tries >= ATTEMPTS:
                return turn.follow("after")
            self._record(turn)
            return None
        turn.event("complaint-opened")
        desk = str(turn.node.fields.get("desk", ""))
        if not TARGET.fullmatch(desk) or not self._staffed(turn):
            self._record(turn)
            return None
        turn.say(turn.node["prompt"])
        turn.event("dial", target=desk)
        try:
            ring = min(max(int(turn.node.fields.get("ring_timeout", DEFAULT_RING_TIMEOUT)), 5), 120)
        except ValueError:
            ring = DEFAULT_RING_TIMEOUT
        options: dict[str, object] = {
            "action": turn.url("input"),
            "method": "POST",
            "timeout": ring,
        }
        callback = turn.options.get("recording_callback")
        if turn.platform.dial_record:  # else the switch records it: `ivr recordings import`
            options["record"] = "record-from-answer-dual"
        if callback and turn.platform.dial_record:
            options.update(
                recording_status_callback=f"{callback}?{urlencode({'kind': 'agent-call'})}",
                recording_status_callback_event="completed absent",
                recording_status_callback_method="POST",
            )
        dial = turn.response.dial(**options)
        if desk.startswith("sip:"):
            dial.sip(desk)
        else:
            dial.number(desk)
        return None

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        if "DialCallStatus" in params:
            status = params["DialCallStatus"]
            turn.event("connect-result", result=status)
            if status in CONNECTED:
                turn.say("goodbye")
                turn.response.hangup()
                return None
            turn.event("complaint-no-desk", result=status)
            turn.say("agent_unavailable")
            self._record(turn)
            return None
        recorded = turn.recording(params)
        if recorded:
            return self._recorded(turn, recorded, params)
        return turn.state.node

    def platform_notes(self, node: Node, platform: Platform) -> list[str]:
        if node.fields.get("desk") and not platform.dial_record:
            return [
                f"calls to the desk are not recorded by <Dial> on {platform.name}: "
                "the switch records them (see `ivr recordings import`)"
            ]
        return []

    def _staffed(self, turn: Turn) -> bool:
        name = turn.node.fields.get("schedule")
        if not name:
            return True
        return turn.bundle.schedules[name].is_open(turn.now, turn.bundle.timezone)

    def _record(self, turn: Turn) -> None:
        turn.record_message(turn.node["record_prompt"])

    def _recorded(self, turn: Turn, sid: str, params: dict[str, str]) -> str | None:
        if not message_recorded(turn, sid, params):
            return turn.state.node  # enter() apologises, then records again or gives up
        turn.event("complaint-message", recording_sid=sid)
        if params.get("Digits") == "hangup":
            return None
        turn.say(turn.node["saved_prompt"])
        return turn.follow("after")
