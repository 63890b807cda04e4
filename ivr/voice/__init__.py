"""The telephony webhooks (``/voice``): flows answered as TwiML for the configured platform."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr import db, jobs
    from ivr.calls import journal
    from ivr.calls.recorder import Recorder
    from ivr.registry import registry
    from ivr.voice.profiles import PROFILES
    from ivr.voice.views import bp
    from webapp import register_signed

    app.extensions["ivr.telephony"] = PROFILES[app.config["SETTINGS"].telephony]
    app.extensions["ivr.recorder"] = Recorder(
        session=db.session,
        effects_for=registry(app).effects_for,
        journal=journal.journal,
        enqueue=jobs.enqueue,
    )
    register_signed(app, bp)
