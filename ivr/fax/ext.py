"""The fax catalogue (flows/fax.yaml), checked with the flows."""

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


def load_into(app: Flask, bundle: FlowBundle) -> None:
    """At start, once the flows are loaded: a bad fax.yaml stops the server."""
    app.extensions["ivr.fax.catalogue"] = load_for(bundle)
