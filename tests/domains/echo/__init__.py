"""A throwaway domain, plugged in with one entry of the domain list (tests/domains).

It has a node type, a job, an effect, a recording kind, a service for its
node, a CLI group and a blueprint: everything a real domain registers.
"""

from __future__ import annotations

import click
from flask import Blueprint, Flask
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ivr import db, jobs
from ivr.flows.turn import Turn
from ivr.flows.types import NodeType
from ivr.recordings import callbacks
from ivr.recordings.models import RecordingMixin
from ivr.registry import registry

NOTED: list[str] = []  # what the job was given


class EchoBase(DeclarativeBase):
    """Its own metadata: the throwaway table is created by the test, not by migrations."""


class EchoRecording(RecordingMixin, EchoBase):
    __tablename__ = "echo_recordings"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(default="")


class Echo(NodeType):
    """Says its prompt, takes one key, reads it back through the service, moves on."""

    name = "echo"
    required = {"prompt": "prompt", "after": "node"}
    takes_input = True

    def enter(self, turn: Turn) -> str | None:
        turn.event("menu")
        turn.gather([(turn.node["prompt"], {})])
        return None

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        digits = params.get("Digits", "")
        turn.event("echo-pressed", digits, loud=turn.services["echo.shout"](digits))
        return turn.follow("after")


@jobs.task("echo.note", queue="default", timeout=5, retry_intervals=())
def note(text: str) -> None:
    NOTED.append(text)


def on_pressed(session, call, events) -> list[tuple]:
    return [("echo.note", e.detail["loud"]) for e in events if e.kind == "echo-pressed"]


def on_recording(session, call, form, args) -> list[tuple]:
    item = callbacks.upsert(session, EchoRecording, form["RecordingSid"], call_sid=call.sid)
    return callbacks.apply_callback(session, item, form, ("127.0.0.1",), on_empty=lambda i: None)


cli = AppGroup("echo", help="The throwaway domain.")


@cli.command("count")
def count() -> None:
    click.echo(f"{len(db.session().scalars(select(EchoRecording)).all())} echo recordings")


bp = Blueprint("echo", __name__, url_prefix="/echo")


@bp.get("/")
def page() -> str:
    return "echo pages"


def init_app(app: Flask) -> None:
    plugins = registry(app)
    plugins.add_node_types(Echo)
    plugins.on_events({"echo-pressed"}, on_pressed)
    plugins.add_recording_kind("echo", EchoRecording, on_recording)
    plugins.add_service("echo.shout", lambda: str.upper)
    app.cli.add_command(cli)
    app.register_blueprint(bp)
