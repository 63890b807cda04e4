"""What the telephony platform executes, as far as nodes need to know.

Twilio runs all of TwiML; other Twilio-compatible platforms (Somleng) run a
subset. Nodes read this from the :class:`~ivr.flows.turn.Turn` and write only
what the platform will carry out; the web layer's telephony profile supplies it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    name: str
    enqueue: bool  # <Enqueue>/<Leave> and their wait URL
    pause: bool  # <Pause>
    dial_record: bool  # <Dial record=…> with a recording status callback
    record_trim: bool  # <Record trim=…>
    recording_absent: bool  # a recording status callback for "absent" recordings
    gather_input: bool  # <Gather input=…>: speech as well as keys

    def record_options(self) -> dict[str, str]:
        """A message ``<Record>``'s extras where the platform has them: silence trimmed,
        and a status callback for a recording that came to nothing."""
        options = {"trim": "trim-silence"} if self.record_trim else {}
        if self.recording_absent:
            options["recording_status_callback_event"] = "completed absent"
        return options


TWILIO = Platform(
    name="twilio",
    enqueue=True,
    pause=True,
    dial_record=True,
    record_trim=True,
    recording_absent=True,
    gather_input=True,
)

SOMLENG = Platform(
    name="somleng",
    enqueue=False,
    pause=False,
    dial_record=False,
    record_trim=False,
    recording_absent=False,
    gather_input=False,
)
