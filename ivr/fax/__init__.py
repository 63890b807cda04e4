"""Option 3: fax on demand, from the catalogue in flows/fax.yaml to a delivered fax."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask import current_app

    from ivr.fax import ext, jobs, service  # noqa: F401 - jobs: the delivery task and sweeper
    from ivr.fax.callbacks import bp as callbacks_bp
    from ivr.fax.cli import cli
    from ivr.fax.media import bp as media_bp
    from ivr.fax.nodes import CATALOGUE, Fax
    from ivr.registry import registry
    from webapp import register_signed

    plugins = registry(app)
    plugins.add_node_types(Fax)
    plugins.on_events(service.EVENT_KINDS, service.apply_events)
    plugins.flow_data.append(ext.load_into)
    plugins.add_service(CATALOGUE, lambda: current_app.extensions["ivr.fax.catalogue"])
    app.cli.add_command(cli)
    app.register_blueprint(media_bp)  # signed, expiring document links for fax APIs
    register_signed(app, callbacks_bp)  # the fax API's status callbacks
