"""``ivr media``: serve the menus' audio streams (a Procfile entry; scripts/serve starts it)."""

from __future__ import annotations

import asyncio
import contextlib

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("media")
@click.option(
    "--bind",
    default="127.0.0.1:5001",
    show_default=True,
    envvar="IVR_MEDIA_BIND",
    help="host:port; route wss://…/voice/stream here (README: Speech menus).",
)
@with_appcontext
def media_command(bind: str) -> None:
    """Recognise callers' speech at the menus: the platform's media streams, offline."""
    from ivr.speechnav.media import build, serve_forever

    host, _, port = bind.rpartition(":")
    media = build(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"media: ws://{bind}/voice/stream, speech in {', '.join(media.models) or 'none'}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(media, host or "127.0.0.1", int(port)))
