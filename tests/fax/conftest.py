"""Fax tests run on committing apps: delivery is a background job in another thread.

``make_fax_app(**env)`` builds an app on the test database with in-process
jobs (back-off scaled down) and an outbox in tmp_path; the tables are emptied
afterwards. ``fax_phone(app)`` is a Changchun landline caller. ``fax_api`` is a
local Twilio-compatible fax API that fetches each fax's MediaUrl from a live
server of the app (``rest_app``) and sends signed status callbacks.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from ivr import db
from ivr.fax.models import FaxRequest
from ivr.simulator import Phone, flask_transport
from tests.harness import AUTH_TOKEN, PUBLIC_URL

CALLER = "+8643188881234"  # Changchun: local fax numbers get 0431


@pytest.fixture
def make_fax_app(make_live_app, tmp_path) -> Callable[..., Flask]:
    def make(**extra: str) -> Flask:
        return make_live_app(backoff_scale=0.001, IVR_FAX_OUTBOX=str(tmp_path / "outbox"), **extra)

    return make


@pytest.fixture
def fax_app(make_fax_app) -> Flask:
    return make_fax_app()


def fax_phone(app: Flask, **kwargs) -> Phone:
    return Phone(
        flask_transport(app.test_client(), PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller=CALLER,
        telephony=app.config["SETTINGS"].telephony,
        **kwargs,
    )


def drain(app: Flask) -> None:
    app.extensions["ivr.jobs"].drain()


def fax_requests(app: Flask) -> list[FaxRequest]:
    with app.app_context():
        return list(db.session().scalars(select(FaxRequest).order_by(FaxRequest.id)))


def fake_sendfax(folder: Path, exit_code: int = 0, output: str = "") -> Path:
    """A ``sendfax`` executable that records its arguments and the PDF it was given."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "sendfax"
    script.write_text(
        f"""#!{sys.executable}
import json, pathlib, sys
log = pathlib.Path({str(folder)!r})
calls = log / "calls.jsonl"
pdf = pathlib.Path(sys.argv[-1])
with calls.open("a") as out:
    out.write(json.dumps({{"argv": sys.argv[1:], "pdf": pdf.read_bytes().hex()}}) + "\\n")
print({output!r} or "request id is 17 (group id 17) for host localhost (1 file)")
sys.exit({exit_code})
""",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


@pytest.fixture
def on_path(monkeypatch) -> Callable[[Path], None]:
    def put(folder: Path) -> None:
        monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")

    return put


class FaxApi:
    """A local stand-in for a Twilio-compatible fax API (SignalWire's ``POST .../Faxes``).

    Each POST is kept; with the right basic auth (``USER``:``TOKEN``) and no
    canned ``answers`` left, it fetches the form's MediaUrl, as the real API
    does, from the live server standing for IVR_PUBLIC_URL (``site``), and
    accepts the fax (201, a new fax SID) only if that is a PDF.
    ``report(sid, status)`` posts the StatusCallback, signed with ``TOKEN``.
    """

    USER, TOKEN = "PROJ", "PTsecret"

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.fetched: list[requests.Response] = []
        self.answers: list[tuple[int, dict]] = []  # served first, without fetching
        self.site = ""
        self.sids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/laml/2010-04-01/Accounts/PROJ"

    def local(self, url: str) -> str:
        """``url`` on IVR_PUBLIC_URL, sent to the live server instead (as DNS would)."""
        assert url.startswith(f"{PUBLIC_URL}/"), url
        return self.site + url[len(PUBLIC_URL) :]

    def fetch(self, url: str) -> requests.Response:
        return requests.get(self.local(url), timeout=30)

    def report(self, sid: str, status: str, token: str = TOKEN, **extra: str) -> int:
        """Post the fax's status callback as the API does; returns our server's status code."""
        [post] = [p for p in self.posts if p.get("sid") == sid]
        url = post["fields"]["StatusCallback"]
        params = {
            "FaxSid": sid,
            "FaxStatus": status,
            "AccountSid": self.USER,
            "To": post["fields"]["To"],
            "ApiVersion": "v1",
            **extra,
        }
        signature = RequestValidator(token).compute_signature(url, params)
        response = requests.post(
            self.local(url), data=params, headers={"X-Twilio-Signature": signature}, timeout=30
        )
        return response.status_code

    def _accept(self, fields: dict[str, str]) -> tuple[int, dict]:
        media = self.fetch(fields.get("MediaUrl", "") or f"{PUBLIC_URL}/none")
        self.fetched.append(media)
        is_pdf = media.headers.get("Content-Type") == "application/pdf"
        if media.status_code != 200 or not is_pdf or not media.content.startswith(b"%PDF-"):
            return 400, {"message": f"MediaUrl could not be fetched: {media.status_code}"}
        return 201, {"sid": f"FX{next(self.sids):032x}", "status": "queued"}

    def _handler(self):
        api = self
        expected = "Basic " + base64.b64encode(f"{self.USER}:{self.TOKEN}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                post = {
                    "path": self.path,
                    "auth": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                    "fields": dict(parse_qsl(body, keep_blank_values=True)),
                }
                api.posts.append(post)
                if post["auth"] != expected:
                    status, answer = 401, {"message": "Unauthorized", "code": 20003}
                elif api.answers:
                    status, answer = api.answers.pop(0)
                else:
                    status, answer = api._accept(post["fields"])
                    post["sid"] = answer.get("sid")
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        return Handler


@pytest.fixture
def fax_api() -> Iterator[FaxApi]:
    api = FaxApi()
    thread = threading.Thread(target=api.server.serve_forever, daemon=True)
    thread.start()
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.fixture
def rest_app(make_fax_app, fax_api, serve) -> Flask:
    """An app delivering through ``fax_api``, also served live (where the API fetches from)."""
    app = make_fax_app(
        IVR_FAX_PROVIDER="rest",
        IVR_FAX_REST_URL=fax_api.url,
        IVR_FAX_REST_USER=FaxApi.USER,
        IVR_FAX_REST_TOKEN=FaxApi.TOKEN,
        IVR_FAX_FROM="+8643112333",
    )
    fax_api.site = serve(app)
    return app
