"""The hotline's domains: the one list the app is composed from.

Each domain is a package of ``ivr`` whose ``init_app(app)`` registers its
tables, node types, jobs, call-event effects, recording kinds, services for
its nodes, CLI group and callbacks (``ivr.registry``), and, where it has
staff pages, a package of ``webapp`` whose ``init_app(app)`` registers them.
The core (flows, voice, calls, recordings, speech, jobs) names none of them.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class Domain:
    package: str  # e.g. "ivr.fax"
    web: str | None = None  # its staff pages, e.g. "webapp.selfservice"

    def init_app(self, app: Flask) -> None:
        importlib.import_module(self.package).init_app(app)
        if self.web:
            importlib.import_module(self.web).init_app(app)


DOMAINS: tuple[Domain, ...] = (
    Domain("ivr.staff"),
    Domain("ivr.voicemail", web="webapp.staff"),
    Domain("ivr.fax", web="webapp.selfservice"),
    Domain("ivr.accounts"),
    Domain("ivr.complaints", web="webapp.tickets"),
    Domain("ivr.agents", web="webapp.agents"),
    Domain("ivr.inspection", web="webapp.inspection"),
    Domain("ivr.speechnav"),
    Domain("ivr.analytics", web="webapp.analytics"),
)


def import_models(domains: Iterable[Domain] = DOMAINS) -> None:
    """Each domain's tables (its ``models`` module) on ``Base.metadata``."""
    for domain in domains:
        name = f"{domain.package}.models"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
