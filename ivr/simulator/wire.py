"""What the simulated phone exchanges with the server: transports, records, Twilio's queues."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# transport(url, params, headers) -> (status code, body text)
Transport = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]
SILENCE = "-"
SPEAK = "@"  # a key that is what the caller does at the next <Connect><Stream>
MAX_REQUESTS = 200
QUEUE_SID = "QU" + "0" * 32


class CallFailed(RuntimeError):
    """The server answered a webhook with something other than 200 TwiML."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status the server answered, if it answered


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


class TwilioQueues:
    """Twilio's queues: first in, first out by name, shared safely by phones in other threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: dict[str, list[str]] = defaultdict(list)

    def join(self, name: str, sid: str) -> None:
        with self.lock:
            if sid not in self.waiting[name]:
                self.waiting[name].append(sid)

    def position(self, name: str, sid: str) -> tuple[int, int]:
        """The call's QueuePosition (from 1) and the CurrentQueueSize."""
        with self.lock:
            return self.waiting[name].index(sid) + 1, len(self.waiting[name])

    def leave(self, name: str, sid: str) -> None:
        with self.lock:
            if sid in self.waiting[name]:
                self.waiting[name].remove(sid)
