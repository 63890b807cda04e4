"""``ivr transcribe``: the recordings pipeline by hand, whatever the recording kind;
``ivr recordings``: the group the domains add their recording commands to."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from ivr import db


@click.group("recordings", cls=AppGroup)
def cli() -> None:
    """Recordings: importing the files a switch or PBX wrote."""


@click.command("transcribe")
@click.option(
    "--pending",
    is_flag=True,
    required=True,
    help="Transcribe every downloaded message without a transcript yet.",
)
@with_appcontext
def transcribe_command(pending: bool) -> None:
    """Transcribe now, in this process (e.g. after `ivr models fetch`)."""
    from ivr.recordings.jobs import transcribe_recording
    from ivr.recordings.sweep import model_of, untranscribed

    pending_items = untranscribed()
    for kind, item_id in pending_items:
        transcribe_recording(kind, item_id)
        item = db.session().get_one(model_of(kind), item_id)
        click.echo(f"{kind} {item_id}: {item.transcript_status} {item.transcript_text[:60]}")
    click.echo(f"{len(pending_items)} recording(s) processed")
