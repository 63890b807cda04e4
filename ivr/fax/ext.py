"""The fax catalogue, checked with the flows, and the routes a fax API calls.

A bad fax.yaml stops the server. The routes are the signed document links
(ivr/fax/media.py) and the status callback (ivr/fax/callbacks.py).
"""

from __future__ import annotations

from flask import Flask

from ivr.fax.catalogue import CATALOGUE_FILE, Catalogue, load_catalogue
from ivr.flows import FlowBundle
from ivr.flows.yamlfile import FlowFileError


def load_for(bundle: FlowBundle) -> Catalogue:
    """The catalogue beside ``bundle``'s files; a ``fax`` node needs one with documents."""
    catalogue = load_catalogue(bundle.source, bundle.prompts.by_locale)
    users = [node.id for node in bundle.nodes.values() if node.type == "fax"]
    if users and not catalogue.documents:
        raise FlowFileError(
            bundle.source / CATALOGUE_FILE,
            None,
            f"missing: node {users[0]!r} is a fax node and needs documents here",
        )
    return catalogue


def init_app(app: Flask) -> None:
    from ivr.fax.callbacks import bp as callbacks_bp
    from ivr.fax.media import bp as media_bp

    app.extensions["ivr.fax.catalogue"] = load_for(app.extensions["ivr.flows"])
    for blueprint in (media_bp, callbacks_bp):  # the fax API's side: signed links, callbacks
        app.register_blueprint(blueprint)
