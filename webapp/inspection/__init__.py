"""Quality inspection pages (blueprint "inspection", /inspection/...).

Inspectors draw and grade sampled calls, team leaders enter their composite
and the month's other sections, everyone with a role sees the monthly report;
an agent sees only their own results. See ivr/inspection for the logic.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp import register_private
    from webapp.inspection.views import bp

    register_private(app, bp)
