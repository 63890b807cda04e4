"""A phone that behaves as Twilio does: signs each request and follows the TwiML.

Used by ``ivr call`` (against a running server or in-process) and by the
end-to-end tests, so both walk calls exactly the same way: Gathers, Redirects,
Records (and their recordingStatusCallback), Dials (and, for a recorded Dial,
its recordingStatusCallback), Enqueues and ``<Connect><Stream>`` media streams
(ivr.simulator.stream: the caller's audio over the WebSocket). In a queue the phone does what
Twilio does: it requests the ``waitUrl`` again and again with QueuePosition and
QueueTime, plays what it answers, and leaves on ``<Leave/>`` (QueueResult=leave)
or hangs up after ``queue_rounds`` rounds (QueueResult=hangup).

The keys of a call are what the caller does at each Gather; ``-`` is silence;
``@…`` is what the caller does at the next media stream (``@养老`` says it).
A ``<Record>`` takes a key only when the next one is ``-``: the caller says
nothing, and as Twilio does when a Record gets no audio, the phone requests no
action URL and goes on with the next verb (only a recordingStatusCallback that
asked for the ``absent`` event hears of it). Otherwise the Record captures
``recording_url`` and posts its action.
"""

from ivr.simulator.phone import Phone
from ivr.simulator.stream import MediaStreams, StreamResult
from ivr.simulator.wire import (
    MAX_REQUESTS,
    CallFailed,
    CallRecord,
    Step,
    Transport,
    TwilioQueues,
    flask_transport,
    http_transport,
)

__all__ = [
    "MAX_REQUESTS",
    "CallFailed",
    "CallRecord",
    "MediaStreams",
    "Phone",
    "Step",
    "StreamResult",
    "Transport",
    "TwilioQueues",
    "flask_transport",
    "http_transport",
]
