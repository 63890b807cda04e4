"""A phone that behaves as Twilio does: signs each request and follows the TwiML.

Used by ``ivr call`` (against a running server or in-process) and by the
end-to-end tests, so both walk calls exactly the same way.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own server's TwiML
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

# transport(url, params, headers) -> (status code, body text)
Transport = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]
SILENCE = "-"
MAX_REQUESTS = 200


class CallFailed(RuntimeError):
    """The server answered a webhook with something other than 200 TwiML."""


@dataclass
class Step:
    verb: str
    text: str = ""
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class CallRecord:
    sid: str
    steps: list[Step] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    ended_by: str = ""

    @property
    def heard(self) -> list[str]:
        return [s.text for s in self.steps if s.verb in ("say", "play")]

    def verbs(self, name: str) -> list[Step]:
        return [s for s in self.steps if s.verb == name]


def http_transport(base_url: str | None, timeout: float = 15.0) -> Transport:
    """POST to the server; with ``base_url`` the public host is swapped for it (Twilio signs the public URL)."""
    import requests

    session = requests.Session()

    def send(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        target = url
        if base_url:
            parts = urlsplit(url)
            target = base_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        response = session.post(target, data=params, headers=headers, timeout=timeout)
        return response.status_code, response.text

    return send


def flask_transport(client, public_url: str) -> Transport:
    """In-process: a Flask test client, paths taken from the public URLs."""

    def send(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.post(path, data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    return send


class Phone:
    """Places simulated calls: ``Phone(...).call(["1", "*", "0"])``."""

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
        queue_result: str = "bridged",
        recording_url: str = "",
        recording_duration: int = 12,
        on_step: Callable[[Step], None] | None = None,
        ask: Callable[[Step], str | None] | None = None,
    ) -> None:
        self.transport = transport
        self.public_url = public_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.caller, self.called, self.account_sid = caller, called, account_sid
        self.dial_status, self.queue_result = dial_status, queue_result
        self.recording_url, self.recording_duration = recording_url, recording_duration
        self.on_step = on_step or (lambda step: None)
        self.ask = ask
        self.pending: list[tuple[str, dict[str, str]]] = []  # asynchronous callbacks

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)}
        return self.transport(url, params, headers)

    def call(self, presses: Iterable[str] = (), sid: str | None = None) -> CallRecord:
        record = CallRecord(sid=sid or "CA" + secrets.token_hex(16))
        keys = deque(presses)
        base = {
            "CallSid": record.sid,
            "AccountSid": self.account_sid,
            "From": self.caller,
            "To": self.called,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        url, extra = f"{self.public_url}/voice/incoming", {"CallStatus": "ringing"}
        for _ in range(MAX_REQUESTS):
            params = {**base, "CallStatus": "in-progress", **extra}
            record.requests.append((url, params))
            status, body = self.post(url, params)
            if status != 200:
                raise CallFailed(f"{url} answered {status}: {body[:200]}")
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
                raise CallFailed(f"{url} answered {status}: {body[:200]}")

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
                    self._log(record, Step(inner.tag.lower(), (inner.text or "").strip()))
                step = Step("gather", attrs=attrs)
                self._log(record, step)
                key = self._next_key(keys, step)
                if key is None:
                    record.ended_by = "caller hung up"
                    return None
                if key == SILENCE:
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
            elif tag == "Dial":
                target = text or " ".join((c.text or "").strip() for c in verb)
                self._log(record, Step("dial", target, attrs))
                if "action" in attrs:
                    return attrs["action"], {
                        "DialCallStatus": self.dial_status,
                        "DialCallDuration": "30",
                    }
            elif tag == "Enqueue":
                self._log(record, Step("enqueue", text, attrs))
                if "action" in attrs:
                    return attrs["action"], {"QueueResult": self.queue_result, "QueueTime": "10"}
                record.ended_by = "queued"
                return None
            elif tag == "Record":
                self._log(record, Step("record", attrs=attrs))
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
