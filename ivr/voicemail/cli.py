"""`ivr voicemail ...`: the messages callers left."""

from __future__ import annotations

import json
from datetime import tzinfo

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ivr import db
from ivr.clock import centre_iso, centre_text
from ivr.voicemail.models import Voicemail

cli = AppGroup("voicemail", help="Voicemail messages.")


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--all", "show_all", is_flag=True, help="Include discarded and empty recordings.")
def list_messages(as_json: bool, show_all: bool) -> None:
    """Messages, newest first."""
    rows = db.session().scalars(select(Voicemail).order_by(Voicemail.created_at.desc())).all()
    shown = [m for m in rows if show_all or m.is_message]
    zone = current_app.config["SETTINGS"].timezone
    if as_json:
        click.echo(json.dumps([_as_dict(m, zone) for m in shown], ensure_ascii=False, indent=2))
        return
    if not shown:
        hidden = len(rows)
        click.echo(
            f"no voicemail messages ({hidden} empty or discarded: see --all)"
            if hidden
            else "no voicemail messages"
        )
    for m in shown:
        click.echo(
            f"{m.id:>5}  {centre_text(m.created_at, zone)}  {m.caller:<16} "
            f"{(m.duration or 0):>6.1f}s  {m.transcript_status:<17} {m.transcript_text[:40]}"
        )


def _as_dict(m: Voicemail, zone: tzinfo) -> dict:
    return {
        "id": m.id,
        "recording_sid": m.recording_sid,
        "caller": m.caller,
        "created_at": centre_iso(m.created_at, zone),
        "duration": m.duration,
        "state": m.state,
        "download_status": m.download_status,
        "status": m.transcript_status,
        "transcript": m.transcript_text,
        "model": m.transcript_model,
        "handled": m.handled_at is not None,
    }


@cli.command("demo")
@click.option("--tones", is_flag=True, help="Tone bursts for the audio even when espeak-ng exists.")
def demo_command(tones: bool) -> None:
    """Leave a few demo messages with real audio in the inbox (created once)."""
    from flask import current_app

    from ivr.voicemail.demo import make_demo

    settings = current_app.config["SETTINGS"]
    click.echo(make_demo(db.session(), settings.recordings_dir, speech=not tones))
