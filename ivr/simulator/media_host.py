"""Twilio's media host, on loopback: ``ivr call --record`` serves a WAV file as a recording.

Each ``<Record>`` the phone plays gets a new RecordingSid whose RecordingUrl
is Twilio's form, ``…/2010-04-01/Accounts/AC…/Recordings/RE…`` (no extension);
the server downloads it as Twilio serves it, with ``.wav`` appended or without
an extension (WAV either way). The host tells when the server has fetched a
recording, so the caller can wait for that rather than for a time.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Somleng's phone appends the recording's UUID to the URL it is given: served the same.
PATH = re.compile(
    r"/2010-04-01/Accounts/AC[0-9a-f]{32}/Recordings/(RE[0-9a-f]{32})(/[0-9a-f-]{36})?(\.wav)?"
)


class NotAWav(ValueError):
    """The file is not audio the simulator can serve as a recording."""


def wav_seconds(path: Path) -> float:
    """The true duration of a WAV file, or NotAWav."""
    try:
        with wave.open(str(path), "rb") as audio:
            frames, rate = audio.getnframes(), audio.getframerate()
    except (wave.Error, EOFError, OSError) as exc:
        raise NotAWav(f"{path} is not a WAV file: {exc}") from exc
    if not frames or not rate:
        raise NotAWav(f"{path} holds no audio")
    return frames / rate


class MediaHost:
    """Serves one WAV file on 127.0.0.1 (an ephemeral port) for every recording it names."""

    def __init__(self, audio: Path, account_sid: str) -> None:
        self.seconds = wav_seconds(audio)
        self.body = audio.read_bytes()
        self.account_sid = account_sid
        self.fetched: dict[str, threading.Event] = {}
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                match = PATH.fullmatch(self.path.split("?", 1)[0])
                done = host.fetched.get(match.group(1)) if match else None
                if done is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "audio/x-wav")
                self.send_header("Content-Length", str(len(host.body)))
                self.end_headers()
                self.wfile.write(host.body)
                done.set()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self) -> tuple[str, str, int]:
        """What a ``<Record>`` captured: (RecordingSid, RecordingUrl, RecordingDuration)."""
        sid = "RE" + secrets.token_hex(16)
        self.fetched[sid] = threading.Event()
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}"
        return sid, url, round(self.seconds)

    def wait(self, timeout: float) -> list[str]:
        """Wait until the server has fetched every recording; the SIDs it has not."""
        deadline = time.monotonic() + timeout
        for done in self.fetched.values():
            done.wait(max(0.0, deadline - time.monotonic()))
        return [sid for sid, done in self.fetched.items() if not done.is_set()]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
