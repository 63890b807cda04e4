"""The simulated phone (see the package docstring)."""

from __future__ import annotations

import secrets
import time
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own server's TwiML
from collections import deque
from collections.abc import Callable, Iterable

from twilio.request_validator import RequestValidator

from ivr.simulator.stream import MediaStreams
from ivr.simulator.wire import (
    MAX_REQUESTS,
    QUEUE_SID,
    SILENCE,
    SPEAK,
    CallFailed,
    CallRecord,
    Step,
    Transport,
    TwilioQueues,
)


class Phone:
    """Places simulated calls: ``Phone(...).call(["1", "*", "0"])``.

    - ``dial_status`` / ``dial_statuses``: DialCallStatus of successive Dials
      (the list first, then ``dial_status``);
    - ``dial_recordings_url``: where a recorded Dial's audio is
      (RecordingUrl = that/RecordingSid); empty: Twilio reports it ``absent``;
    - ``recording_url`` / ``recording_duration``: what a ``<Record>`` captured
      (empty: a recording with no audio, RecordingStatus=absent, posted to the
      action; a ``-`` key at the Record instead: nothing recorded, no action);
    - ``queues``: Twilio's queues, shared by phones calling at the same time;
    - ``queue_rounds``: wait-URL requests before the caller gives up (QueueResult=hangup);
    - ``queue_round_seconds``: QueueTime grows by this much each round (None: real seconds);
    - ``queue_pause``: real seconds to sleep between rounds;
    - ``queue_failure``: a QueueResult (``error``, ``queue-full``) with which
      Twilio ends the Enqueue at once, without waiting;
    - ``leave_result``: the QueueResult after ``<Leave/>`` (``hangup``: the
      caller hung up just as an agent was found);
    - ``on_step(step)``: each thing the caller hears or does;
    - ``on_dial(record, step)``: a Dial is connected (before its action is posted);
    - ``between_rounds(phone, record, round)``: after each queue round that did not leave;
    - ``ask(step)``: the next keys when ``presses`` run out (None: hang up);
    - ``streams``: how ``<Connect><Stream>`` is played (ivr.simulator.stream; default:
      real-time, signed, the caller silent unless a key says ``@…``).
    """

    def __init__(
        self,
        transport: Transport,
        public_url: str,
        auth_token: str,
        *,
        caller: str = "+8643188881234",
        called: str = "+8643112333",
        account_sid: str = "AC" + "0" * 32,
        dial_status: str = "completed",
        dial_statuses: Iterable[str] = (),
        dial_recordings_url: str = "",
        recording_url: str = "",
        recording_duration: int = 12,
        queues: TwilioQueues | None = None,
        queue_rounds: int = 3,
        queue_round_seconds: int | None = 15,
        queue_pause: float = 0.0,
        queue_failure: str = "",
        leave_result: str = "leave",
        on_step: Callable[[Step], None] | None = None,
        on_dial: Callable[[CallRecord, Step], None] | None = None,
        between_rounds: Callable[[Phone, CallRecord, int], None] | None = None,
        ask: Callable[[Step], str | None] | None = None,
        streams: MediaStreams | None = None,
    ) -> None:
        self.transport = transport
        self.public_url = public_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.caller, self.called, self.account_sid = caller, called, account_sid
        self.dial_status, self.dial_statuses = dial_status, list(dial_statuses)
        self.dial_recordings_url = dial_recordings_url.rstrip("/")
        self.recording_url, self.recording_duration = recording_url, recording_duration
        self.queues = queues or TwilioQueues()
        self.queue_rounds, self.queue_round_seconds = queue_rounds, queue_round_seconds
        self.queue_pause, self.queue_failure = queue_pause, queue_failure
        self.leave_result = leave_result
        self.on_step = on_step or (lambda step: None)
        self.on_dial = on_dial or (lambda record, step: None)
        self.between_rounds = between_rounds or (lambda phone, record, n: None)
        self.ask = ask
        self.streams = streams or MediaStreams()
        self.pending: list[tuple[str, dict[str, str]]] = []  # asynchronous callbacks

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)}
        return self.transport(url, params, headers)

    def call_params(self, sid: str) -> dict[str, str]:
        """What Twilio sends with every webhook of call ``sid`` while it is in progress."""
        return {
            "CallSid": sid,
            "AccountSid": self.account_sid,
            "From": self.caller,
            "To": self.called,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            "CallStatus": "in-progress",
        }

    def call(self, presses: Iterable[str] = (), sid: str | None = None) -> CallRecord:
        record = CallRecord(sid=sid or "CA" + secrets.token_hex(16))
        keys = deque(presses)
        base = self.call_params(record.sid)
        url, extra = f"{self.public_url}/voice/incoming", {"CallStatus": "ringing"}
        for _ in range(MAX_REQUESTS):
            params = {**base, **extra}
            record.requests.append((url, params))
            status, body = self.post(url, params)
            if status != 200:
                raise CallFailed(f"{url} answered {status}: {body[:200]}", status)
            next_request = self._play(record, ET.fromstring(body), keys)  # noqa: S314
            self._send_callbacks(base)
            if next_request is None:
                break
            url, extra = next_request
        else:
            raise CallFailed(f"call did not end within {MAX_REQUESTS} requests")
        self.post(
            f"{self.public_url}/voice/status",
            {**base, "CallStatus": "completed", "CallDuration": str(len(record.requests) * 5)},
        )
        return record

    def _send_callbacks(self, base: dict[str, str]) -> None:
        while self.pending:
            url, params = self.pending.pop(0)
            status, body = self.post(
                url, {"CallSid": base["CallSid"], "AccountSid": base["AccountSid"], **params}
            )
            if status >= 300:
                raise CallFailed(f"{url} answered {status}: {body[:200]}", status)

    def _log(self, record: CallRecord, step: Step) -> None:
        record.steps.append(step)
        self.on_step(step)

    def _next_key(self, keys: deque[str], step: Step) -> str | None:
        if keys:
            return keys.popleft()
        return self.ask(step) if self.ask else None

    def _play(self, record: CallRecord, root: ET.Element, keys: deque[str]):
        """Run one TwiML document; returns the next (url, params) or None when the call ends."""
        for verb in root:
            tag, attrs, text = verb.tag, dict(verb.attrib), (verb.text or "").strip()
            if tag in ("Say", "Play"):
                self._log(record, Step(tag.lower(), text, attrs))
            elif tag == "Pause":
                self._log(record, Step("pause", attrs=attrs))
            elif tag == "Gather":
                for inner in verb:
                    said = (inner.text or "").strip()
                    self._log(record, Step(inner.tag.lower(), said, dict(inner.attrib)))
                step = Step("gather", attrs=attrs)
                self._log(record, step)
                key = self._next_key(keys, step)
                if key is None:
                    record.ended_by = "caller hung up"
                    return None
                if key == SILENCE or key.startswith(SPEAK):
                    if key != SILENCE:  # the caller waits to say it to the stream that follows
                        keys.appendleft(key)
                    self._log(record, Step("silence"))
                    continue
                num_digits = int(attrs.get("numDigits", "0") or 0)
                if num_digits and len(key) > num_digits:  # typed ahead: the rest waits
                    keys.appendleft(key[num_digits:])
                    key = key[:num_digits]
                finish = attrs.get("finishOnKey", "#")
                digits = key[: key.index(finish)] if finish and finish in key else key
                self._log(record, Step("press", key))
                return attrs["action"], {"Digits": digits}
            elif tag == "Redirect":
                return text, {}
            elif tag == "Connect":
                next_request = self.streams.play(self, record, verb, keys)
                if next_request is not None:
                    return next_request
            elif tag == "Dial":
                next_request = self._dial(record, verb)
                if next_request is not None:
                    return next_request
            elif tag == "Enqueue":
                next_request = self._enqueue(record, verb)
                if next_request is not None or record.ended_by:
                    return next_request
            elif tag == "Record":
                self._log(record, Step("record", attrs=attrs))
                if keys and keys[0] == SILENCE:  # no audio: Twilio goes on with the next verb
                    keys.popleft()
                    self._log(record, Step("silence"))
                    self._nothing_recorded(attrs)
                    continue
                recording = {
                    "RecordingUrl": self.recording_url,
                    "RecordingSid": "RE" + secrets.token_hex(16),
                    "RecordingDuration": str(self.recording_duration if self.recording_url else 0),
                }
                callback = attrs.get("recordingStatusCallback")
                if callback:  # Twilio calls it once the audio is stored
                    status = "completed" if self.recording_url else "absent"
                    self.pending.append((callback, {**recording, "RecordingStatus": status}))
                return attrs["action"], {**recording, "Digits": "#"}
            elif tag in ("Hangup", "Reject"):
                self._log(record, Step("hangup"))
                record.ended_by = "server hung up"
                return None
        record.ended_by = "end of TwiML"
        return None

    def _nothing_recorded(self, attrs: dict[str, str]) -> None:
        """A Record that got no audio: only a callback subscribed to ``absent`` hears of it."""
        callback = attrs.get("recordingStatusCallback")
        events = attrs.get("recordingStatusCallbackEvent", "completed").replace(",", " ").split()
        if callback and "absent" in events:
            self.pending.append(
                (
                    callback,
                    {
                        "RecordingSid": "RE" + secrets.token_hex(16),
                        "RecordingUrl": "",
                        "RecordingStatus": "absent",
                        "RecordingDuration": "0",
                    },
                )
            )

    def _dial(self, record: CallRecord, verb: ET.Element):
        """Connect the Dial; a recorded one's recordingStatusCallback follows, as from Twilio."""
        attrs = dict(verb.attrib)
        target = (verb.text or "").strip() or " ".join((c.text or "").strip() for c in verb)
        step = Step("dial", target, attrs)
        self._log(record, step)
        self.on_dial(record, step)
        status = self.dial_statuses.pop(0) if self.dial_statuses else self.dial_status
        callback = attrs.get("recordingStatusCallback")
        if callback and attrs.get("record", "").startswith("record-from-answer"):
            sid = "RE" + secrets.token_hex(16)
            recorded = status in ("completed", "answered") and bool(self.dial_recordings_url)
            self.pending.append(
                (
                    callback,
                    {
                        "RecordingSid": sid,
                        "RecordingUrl": f"{self.dial_recordings_url}/{sid}" if recorded else "",
                        "RecordingStatus": "completed" if recorded else "absent",
                        "RecordingDuration": "30" if recorded else "0",
                        "RecordingChannels": "2",
                        "RecordingSource": "DialVerb",
                    },
                )
            )
        if "action" not in attrs:
            return None  # Twilio goes on with the next verb
        return attrs["action"], {"DialCallStatus": status, "DialCallDuration": "30"}

    def _enqueue(self, record: CallRecord, verb: ET.Element):
        """Wait in the queue as Twilio does, then post the Enqueue action with its QueueResult.

        Returns the action request, or None either to go on with the next verb
        (left, no action) or because the call ended (``record.ended_by`` set).
        """
        attrs, name = dict(verb.attrib), (verb.text or "").strip()
        self._log(record, Step("enqueue", name, attrs))
        if self.queue_failure:
            result, waited = self.queue_failure, 0
        else:
            result, waited = self._wait_in_queue(record, name, attrs.get("waitUrl", ""))
        if result == "hangup":
            record.ended_by = record.ended_by or "caller hung up in queue"
        params = {"QueueResult": result, "QueueTime": str(waited), "QueueSid": QUEUE_SID}
        if "action" not in attrs:
            return None
        if result == "hangup":  # Twilio reports it; the caller is gone, the TwiML is ignored
            self.post(
                attrs["action"],
                {**self.call_params(record.sid), **params, "CallStatus": "completed"},
            )
            return None
        return attrs["action"], params

    def _wait_in_queue(self, record: CallRecord, name: str, wait_url: str) -> tuple[str, int]:
        """Request the wait URL round after round; (QueueResult, QueueTime) at the end."""
        self.queues.join(name, record.sid)
        started, waited = time.monotonic(), 0
        try:
            for round_number in range(self.queue_rounds):
                if self.queue_round_seconds is None:
                    waited = int(time.monotonic() - started)
                else:
                    waited = round_number * self.queue_round_seconds
                position, size = self.queues.position(name, record.sid)
                params = {
                    **self.call_params(record.sid),
                    "QueueSid": QUEUE_SID,
                    "QueuePosition": str(position),
                    "QueueTime": str(waited),
                    "CurrentQueueSize": str(size),
                    "AvgQueueTime": "0",
                    "MaxQueueSize": "100",
                }
                self._log(
                    record, Step("wait", name, {"position": str(position), "time": str(waited)})
                )
                if not wait_url:  # Twilio's own hold music
                    self._log(record, Step("play", "(Twilio's hold music)"))
                else:
                    status, body = self.post(wait_url, params)
                    if status != 200:
                        raise CallFailed(f"wait URL answered {status}: {body[:200]}", status)
                    for inner in ET.fromstring(body):  # noqa: S314 - our own server's TwiML
                        tag = inner.tag.lower()
                        if tag == "leave":
                            self._log(record, Step("leave"))
                            return self.leave_result, waited
                        if tag == "hangup":
                            self._log(record, Step("hangup"))
                            record.ended_by = "server hung up"
                            return "hangup", waited
                        self._log(record, Step(tag, (inner.text or "").strip(), dict(inner.attrib)))
                self.between_rounds(self, record, round_number)
                if self.queue_pause:
                    time.sleep(self.queue_pause)
            return "hangup", waited
        finally:
            self.queues.leave(name, record.sid)
