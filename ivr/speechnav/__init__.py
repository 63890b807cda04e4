"""Say it instead of pressing it: the menus answer speech, recognised offline by Vosk.

Registers the speech collector (``ivr.speechnav.collector``), the result and
confirm webhooks, the phrases beside the flows (``ivr.speechnav.grammar``), the
result store (Redis, else the database) and ``ivr media``, the process the
platform streams audio to (``ivr.speechnav.media``).
"""

from __future__ import annotations

from flask import Flask

from ivr.flows import FlowBundle


def load_into(app: Flask, bundle: FlowBundle) -> None:
    """At start and in ``ivr flows check``: the phrases, and words the models do not know."""
    from ivr.speech.models import ModelUnavailable
    from ivr.speechnav import grammar

    flows = grammar.load(bundle)
    app.extensions["ivr.speechnav.flows"] = flows
    models = {}
    for locale in flows.words():
        try:
            models[locale] = app.extensions["ivr.speech"].resolve(locale).path
        except ModelUnavailable:
            continue  # keypad-only in that locale
    warnings = app.extensions.setdefault("ivr.flows.warnings", [])
    warnings.extend(grammar.unknown_words(flows, models))


def init_app(app: Flask) -> None:
    from ivr.registry import registry
    from ivr.speechnav.cli import media_command
    from ivr.speechnav.collector import SpeechMenus
    from ivr.speechnav.listening import bp as listening_bp
    from ivr.speechnav.store import DatabaseStore, RedisStore
    from ivr.speechnav.views import bp
    from webapp import register_private, register_signed

    plugins = registry(app)
    plugins.collector = SpeechMenus()
    plugins.flow_data.append(load_into)
    redis_url = app.config["SETTINGS"].redis_url
    app.extensions["ivr.speechnav.store"] = (
        RedisStore(redis_url) if redis_url else DatabaseStore(lambda: app.extensions["ivr.db"])
    )
    app.cli.add_command(media_command)
    register_signed(app, bp)  # the platform signs the result URLs
    register_private(app, listening_bp)  # staff listen to kept speech (store_audio)
