"""Inspection pages: draw, grade, team-leader entries, an agent's month, the monthly report.

The blueprint ``bp`` (webapp.inspection.blueprint) with every page registered
on it: importing the modules below adds their routes.
"""

from __future__ import annotations

from webapp.inspection import draw_views, grading_views, result_views
from webapp.inspection.blueprint import bp

__all__ = ["bp", "draw_views", "grading_views", "result_views"]
