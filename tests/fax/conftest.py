"""Fax tests run on committing apps: delivery is a background job in another thread.

``make_fax_app(**env)`` builds an app on the test database with in-process
jobs (back-off scaled down) and an outbox in tmp_path; the tables are emptied
afterwards. ``fax_phone(app)`` is a Changchun landline caller.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select

from ivr import db
from ivr.app import create_app
from ivr.db import Base
from ivr.fax.models import FaxRequest
from ivr.settings import load_settings
from ivr.simulator import Phone, flask_transport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, app_environ

CALLER = "+8643188881234"  # Changchun: local fax numbers get 0431


@pytest.fixture
def make_fax_app(database_url, tmp_path) -> Callable[..., Flask]:
    apps: list[Flask] = []

    def make(**extra: str) -> Flask:
        environ = app_environ(
            database_url, tmp_path, IVR_FAX_OUTBOX=str(tmp_path / "outbox"), **extra
        )
        app = create_app(
            {"SETTINGS": load_settings(environ), "TESTING": True, "JOB_BACKOFF_SCALE": 0.001}
        )
        apps.append(app)
        return app

    yield make
    if apps:
        with apps[0].app_context():
            session = db.session()
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(delete(table))
            session.commit()
        for app in apps:
            with app.app_context():
                db.engine().dispose()


@pytest.fixture
def fax_app(make_fax_app) -> Flask:
    return make_fax_app()


def fax_phone(app: Flask, **kwargs) -> Phone:
    return Phone(
        flask_transport(app.test_client(), PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller=CALLER,
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
