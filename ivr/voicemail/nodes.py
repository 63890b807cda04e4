"""The ``voicemail`` node type (option 2)."""

from __future__ import annotations

from dataclasses import replace

from ivr.flows.turn import Turn
from ivr.flows.types import NodeType
from ivr.params import whole_number


def message_recorded(turn: Turn, sid: str, params: dict[str, str]) -> bool:
    """The ``<Record>`` action of ``Turn.record_message``: note the message the caller left.

    False when nothing was recorded: the try is counted, and entering the node
    again apologises. The voicemail service stores the message from these events.
    """
    seconds = whole_number(params.get("RecordingDuration", "")) or 0
    if seconds < 1 or not params.get("RecordingUrl"):
        turn.event("voicemail-empty", recording_sid=sid)
        turn.state = replace(turn.state, tries=turn.state.tries + 1)
        return False
    turn.event(
        "voicemail-recorded", recording_sid=sid, url=params["RecordingUrl"], duration=seconds
    )
    return True


class Voicemail(NodeType):
    """Option 2: record after the beep, then keep (1) or record again (2).

    The recording itself is stored by the voicemail service from the events
    emitted here and from Twilio's recording status callback.
    """

    name = "voicemail"
    required = {
        "prompt": "prompt",
        "confirm_prompt": "prompt",
        "saved_prompt": "prompt",
        "empty_prompt": "prompt",
        "after": "node",
    }
    takes_input = True
    ATTEMPTS = 2
    trial_note = "试拨不录音、不留言。 A trial call records nothing and leaves no message."

    def enter(self, turn: Turn) -> str | None:
        if turn.state.tries:  # nothing was recorded last time
            turn.event("voicemail-retry")
            turn.say(turn.node["empty_prompt"])
            if turn.state.tries >= self.ATTEMPTS:
                return turn.follow("after")
        turn.record_message(turn.node["prompt"])
        return None

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        recorded = turn.recording(params)
        if recorded:
            return self._recorded(turn, recorded, params)
        choice = params.get("Digits", "1")  # silence at the confirmation keeps the message
        sid = turn.state.ref
        if not sid:
            return turn.state.node
        if choice == "2":
            turn.event("voicemail-discarded", choice, recording_sid=sid)
            turn.state = replace(turn.state, ref="", tries=0)
            return turn.state.node
        if choice in ("1", "#"):
            turn.event("voicemail-kept", choice, recording_sid=sid)
            turn.say(turn.node["saved_prompt"])
            return turn.follow("after")
        turn.event("invalid", choice)
        turn.say("invalid_choice")
        self._confirm(turn)
        return None

    def _recorded(self, turn: Turn, sid: str, params: dict[str, str]) -> str | None:
        if not message_recorded(turn, sid, params):
            return turn.state.node  # enter() apologises, then records again or gives up
        if params.get("Digits") == "hangup":
            return None
        turn.state = replace(turn.state, ref=sid, tries=0)
        self._confirm(turn)
        return None

    def _confirm(self, turn: Turn) -> None:
        gather = turn.response.gather(
            action=turn.url("input"), method="POST", num_digits=1, timeout=6, finish_on_key=""
        )
        turn.say(turn.node["confirm_prompt"], gather)
        turn.response.redirect(turn.url("input"), method="POST")  # silence keeps it
