"""A phone that also waits in Twilio queues and sends recorded Dials' callbacks.

``ivr.simulator.Phone`` answers an ``<Enqueue>`` at once with its
``queue_result``; real Twilio first requests the ``waitUrl`` again and again
(with QueuePosition and QueueTime) until that TwiML says ``<Leave/>`` or the
caller hangs up, and only then requests the Enqueue action. ``QueuePhone``
does that, sharing positions through ``TwilioQueues`` (so concurrent phones
see a real FIFO), and after a recorded ``<Dial>`` it sends the
recordingStatusCallback as Twilio does. Every other verb is played by Phone.
"""

from __future__ import annotations

import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable

from ivr.simulator import CallFailed, CallRecord, Phone, Step

MEDIA = "https://recordings.example.invalid/2010-04-01/Accounts/AC0/Recordings"


class TwilioQueues:
    """Twilio's queues: FIFO by name, safe across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: dict[str, list[str]] = defaultdict(list)

    def join(self, name: str, sid: str) -> None:
        with self.lock:
            if sid not in self.waiting[name]:
                self.waiting[name].append(sid)

    def position(self, name: str, sid: str) -> tuple[int, int]:
        with self.lock:
            return self.waiting[name].index(sid) + 1, len(self.waiting[name])

    def leave(self, name: str, sid: str) -> None:
        with self.lock:
            if sid in self.waiting[name]:
                self.waiting[name].remove(sid)


class QueuePhone(Phone):
    """``Phone`` plus Twilio's queue wait loop and Dial recording callbacks.

    - ``wait_rounds``: wait-URL requests before the caller gives up (QueueResult=hangup);
    - ``round_seconds``: QueueTime grows by this much each round (None: real seconds);
    - ``pause``: real seconds to sleep between rounds;
    - ``between_rounds(phone, record, round)``: called after each round that did not leave;
    - ``on_dial(record, step)``: called when a Dial starts (before its action is posted);
    - ``dial_statuses``: DialCallStatus for successive Dials (then ``dial_status``);
    - ``leave_result``: the QueueResult after ``<Leave/>`` ("hangup": the caller hung up
      just as an agent was found).
    """

    def __init__(
        self,
        *args,
        queues: TwilioQueues | None = None,
        wait_rounds: int = 20,
        round_seconds: int | None = 15,
        pause: float = 0.0,
        between_rounds: Callable[[QueuePhone, CallRecord, int], None] | None = None,
        on_dial: Callable[[CallRecord, Step], None] | None = None,
        dial_statuses: list[str] | None = None,
        leave_result: str = "leave",
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.queues = queues or TwilioQueues()
        self.wait_rounds, self.round_seconds, self.pause = wait_rounds, round_seconds, pause
        self.between_rounds = between_rounds or (lambda phone, record, n: None)
        self.on_dial = on_dial or (lambda record, step: None)
        self.dial_statuses = list(dial_statuses or [])
        self.leave_result = leave_result

    def base(self, record: CallRecord) -> dict[str, str]:
        return {
            "CallSid": record.sid,
            "AccountSid": self.account_sid,
            "From": self.caller,
            "To": self.called,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            "CallStatus": "in-progress",
        }

    def _play(self, record: CallRecord, root: ET.Element, keys):
        for verb in root:
            if verb.tag == "Enqueue":
                return self._enqueue(record, verb)
            if verb.tag == "Dial":
                return self._dial(record, verb)
            single = ET.Element(root.tag)
            single.append(verb)
            next_request = super()._play(record, single, keys)
            if next_request is not None:
                return next_request
            if record.ended_by in ("caller hung up", "server hung up"):
                return None
        record.ended_by = "end of TwiML"
        return None

    def _dial(self, record: CallRecord, verb: ET.Element):
        attrs = dict(verb.attrib)
        target = (verb.text or "").strip() or " ".join((c.text or "").strip() for c in verb)
        step = Step("dial", target, attrs)
        self._log(record, step)
        self.on_dial(record, step)
        status = self.dial_statuses.pop(0) if self.dial_statuses else self.dial_status
        callback = attrs.get("recordingStatusCallback")
        if callback and attrs.get("record", "").startswith("record-from-answer"):
            sid = "RE" + secrets.token_hex(16)
            answered = status in ("completed", "answered")
            recording = {
                "RecordingSid": sid,
                "RecordingUrl": f"{MEDIA}/{sid}" if answered else "",
                "RecordingStatus": "completed" if answered else "absent",
                "RecordingDuration": "30" if answered else "0",
                "RecordingChannels": "2",
                "RecordingSource": "DialVerb",
            }
            self.pending.append((callback, recording))
        if "action" not in attrs:
            return None
        return attrs["action"], {"DialCallStatus": status, "DialCallDuration": "30"}

    def _enqueue(self, record: CallRecord, verb: ET.Element):
        attrs, name = dict(verb.attrib), (verb.text or "").strip()
        self._log(record, Step("enqueue", name, attrs))
        self.queues.join(name, record.sid)
        started, result, waited = time.monotonic(), "hangup", 0
        try:
            for round_number in range(self.wait_rounds):
                if self.round_seconds is None:
                    waited = int(time.monotonic() - started)
                else:
                    waited = round_number * self.round_seconds
                position, size = self.queues.position(name, record.sid)
                params = {
                    **self.base(record),
                    "QueueSid": "QU" + "0" * 32,
                    "QueuePosition": str(position),
                    "QueueTime": str(waited),
                    "CurrentQueueSize": str(size),
                    "AvgQueueTime": "0",
                    "MaxQueueSize": "100",
                }
                status, body = self.post(attrs["waitUrl"], params)
                if status != 200:
                    raise CallFailed(f"wait URL answered {status}: {body[:200]}")
                left = False
                for inner in ET.fromstring(body):  # noqa: S314 - our own server's TwiML
                    tag = inner.tag.lower()
                    if tag == "leave":
                        left = True
                        break
                    self._log(record, Step(tag, (inner.text or "").strip(), dict(inner.attrib)))
                if left:
                    self._log(record, Step("leave"))
                    result = self.leave_result
                    break
                self.between_rounds(self, record, round_number)
                if self.pause:
                    time.sleep(self.pause)
        finally:
            self.queues.leave(name, record.sid)
        if result == "hangup":
            record.ended_by = "caller hung up in queue"
        if "action" not in attrs:
            return None
        action = attrs["action"]
        params = {"QueueResult": result, "QueueTime": str(waited), "QueueSid": "QU" + "0" * 32}
        if result == "hangup":  # Twilio reports it; the caller is gone, the TwiML is ignored
            self.post(action, {**self.base(record), **params, "CallStatus": "completed"})
            return None
        return action, params
