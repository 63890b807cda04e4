"""The phone as Somleng is: strict about the TwiML it runs, Somleng-shaped in what it sends.

Somleng (self-hosted, on FreeSWITCH) runs a subset of TwiML: any other element
stops the call with "Invalid element", and attributes it does not know are
ignored (so a flow relying on one, e.g. ``trim`` or Dial ``record``, silently
does something else). :func:`check` fails on both, naming the element's path.
What it sends differs too: UUIDs for calls and recordings, and a ``<Record>``
action with only ``RecordingUrl`` and ``RecordingDuration``, posted even when
nothing was recorded (there are no "absent" recordings).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own server's TwiML

from ivr.simulator.wire import CallFailed

NO_AUDIO = "https://api.somleng.org/2010-04-01/Recordings"  # a 0 s recording's URL base
REDIRECT_WAIT = 1.0  # seconds Somleng waits before it follows a <Redirect>
TEXT = "text"  # the element holds text (a URL, a number, words to say)

# element: (attributes Somleng reads, children it allows)
ELEMENTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Response": (
        frozenset(),
        frozenset(
            {"Say", "Play", "Gather", "Redirect", "Dial", "Record", "Hangup", "Reject", "Connect"}
        ),
    ),
    "Say": (frozenset({"voice", "language", "loop"}), frozenset({TEXT})),
    "Play": (frozenset({"loop"}), frozenset({TEXT})),
    "Gather": (
        frozenset(
            {"action", "method", "timeout", "numDigits", "finishOnKey", "actionOnEmptyResult"}
        ),
        frozenset({"Say", "Play"}),
    ),
    "Redirect": (frozenset({"method"}), frozenset({TEXT})),
    "Dial": (
        frozenset({"action", "method", "callerId", "timeout"}),
        frozenset({"Number", "Sip", TEXT}),
    ),
    "Number": (frozenset(), frozenset({TEXT})),
    "Sip": (frozenset(), frozenset({TEXT})),
    "Record": (
        frozenset(
            {
                "action",
                "method",
                "recordingStatusCallback",
                "recordingStatusCallbackMethod",
                "maxLength",
                "timeout",
                "playBeep",
                "finishOnKey",
            }
        ),
        frozenset(),
    ),
    "Hangup": (frozenset(), frozenset()),
    "Reject": (frozenset(), frozenset()),
    "Connect": (frozenset(), frozenset({"Stream"})),
    "Stream": (frozenset({"url"}), frozenset({"Parameter"})),
    "Parameter": (frozenset({"name", "value"}), frozenset()),
}

# Attributes Twilio acts on that Somleng ignores without a word: a flow relying on one breaks.
IGNORED = {
    ("Record", "trim"): "Somleng records the silence too",
    ("Record", "recordingStatusCallbackEvent"): "Somleng sends no 'absent' callbacks",
    ("Dial", "record"): "Somleng's Dial records nothing: the switch must",
    ("Gather", "input"): "Somleng's Gather takes keys only",
    ("Connect", "action"): "Somleng goes on with the next verb when the stream ends",
}


class TwimlRejected(CallFailed):
    """TwiML Somleng would not run as written: the element's path and why."""


def new_sid() -> str:
    return str(uuid.uuid4())


def check(root: ET.Element, url: str = "") -> None:
    """Raise :class:`TwimlRejected` for anything in the document Somleng would not run."""
    _check(root, root.tag, url, allowed_here=frozenset({"Response"}))


def _check(element: ET.Element, path: str, url: str, allowed_here: frozenset[str]) -> None:
    where = f"{url}: " if url else ""
    if element.tag not in allowed_here:
        reason = "not allowed here" if element.tag in ELEMENTS else "Invalid element"
        raise TwimlRejected(f"{where}{path}: <{element.tag}> {reason} on Somleng")
    attributes, children = ELEMENTS[element.tag]
    for name in element.attrib:
        if name not in attributes:
            why = IGNORED.get((element.tag, name), "Somleng does not read it")
            raise TwimlRejected(f"{where}{path}: attribute {name!r}: {why}")
    texts = [element.text, *(child.tail for child in element)]
    if TEXT not in children and any(t and t.strip() for t in texts):
        raise TwimlRejected(f"{where}{path}: <{element.tag}> holds no text on Somleng")
    if element.tag == "Stream" and not element.get("url", "").startswith(("wss://", "ws://")):
        raise TwimlRejected(f"{where}{path}: Stream url must be a WebSocket (wss://) URL")
    seen: dict[str, int] = {}
    for child in element:
        seen[child.tag] = seen.get(child.tag, 0) + 1
        _check(child, f"{path}/{child.tag}[{seen[child.tag]}]", url, children - {TEXT})


def record_result(recording_url: str, seconds: int) -> tuple[dict[str, str], dict[str, str]]:
    """What a ``<Record>`` sends: (the action's parameters, the status callback's).

    The recording URL ends in the recording's UUID (Somleng's API URL, which
    redirects to its object storage): the phone appends one to ``recording_url``.
    Nothing recorded is a recording of 0 seconds, reported ``completed``.
    """
    sid = new_sid()
    url = f"{(recording_url or NO_AUDIO).rstrip('/')}/{sid}"
    action = {"RecordingUrl": url, "RecordingDuration": str(seconds)}
    callback = {
        "RecordingSid": sid,
        "RecordingUrl": url,
        "RecordingStatus": "completed",
        "RecordingDuration": str(seconds),
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }
    return action, callback
