"""Option 2: messages callers leave, stored, transcribed and handled by staff."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr.registry import registry
    from ivr.voicemail import service
    from ivr.voicemail.cli import cli, demo_command
    from ivr.voicemail.models import Voicemail
    from ivr.voicemail.nodes import Voicemail as VoicemailNode

    plugins = registry(app)
    plugins.add_node_types(VoicemailNode)
    plugins.on_events(service.EVENT_KINDS, service.apply_events)
    plugins.add_recording_kind("voicemail", Voicemail, service.apply_recording_callback)
    plugins.message_kind = "voicemail"  # what a <Record> leaves, the fallback's too
    plugins.demos.append(demo_command)  # a few messages with audio in the inbox
    app.cli.add_command(cli)
