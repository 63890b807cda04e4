"""The monthly report: every agent of a centre, section scores, total, grade, trend.

Figures come from the stored results (scored by ivr.grading.scoring on every
save); results scored under an older rubric file are scored again first.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ivr.agents.models import Agent
from ivr.inspection.models import AgentMonthResult, ResultStatus
from ivr.inspection.months import recent
from ivr.inspection.results import points, recompute_many
from ivr.inspection.rubric import Grading

TREND_MONTHS = 6


@dataclass
class Row:
    agent: Agent
    result: AgentMonthResult | None
    trend: list[tuple[str, Decimal | None]]

    @property
    def total(self) -> Decimal | None:
        return points(self.result.total_x100) if self.result else None

    @property
    def grade(self) -> str | None:
        return self.result.grade if self.result else None

    @property
    def status(self) -> str:
        return self.result.status if self.result else ResultStatus.PENDING

    def section(self, section_id: str) -> Decimal | None:
        if self.result is None or section_id not in self.result.sections:
            return None
        return points(self.result.sections[section_id])


@dataclass
class Report:
    month: str
    centre: str | None
    rows: list[Row]
    grades: list[str]  # the rubric's grades, best first
    months: list[str] = field(default_factory=list)  # the trend's months, oldest first

    def distribution(self) -> list[tuple[str, int]]:
        """Agents per grade (the rubric's bands, then "—" for agents not yet scored)."""
        counts = Counter(row.grade or "—" for row in self.rows)
        return [(g, counts.get(g, 0)) for g in [*self.grades, "—"]]

    @property
    def mean_total(self) -> Decimal | None:
        totals = [row.total for row in self.rows if row.total is not None]
        if not totals:
            return None
        return (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01"))


def by_number(agent: Agent) -> tuple[bool, int, str]:
    """Agents in the order of their numbers as numbers: 2 before 10 (SQL would sort "10" first)."""
    number = agent.agent_number
    digits = number.isascii() and number.isdigit()
    return (not digits, int(number) if digits else 0, number)


def centres(session: Session) -> list[str]:
    return list(session.scalars(select(Agent.centre).distinct().order_by(Agent.centre)))


def monthly_report(
    session: Session, grading: Grading, month: str, centre: str | None = None
) -> Report:
    """The report for ``month``; ``centre`` None means every centre."""
    query = select(Agent).options(joinedload(Agent.user))
    if centre is not None:
        query = query.where(Agent.centre == centre)
    agents = sorted(session.scalars(query), key=by_number)
    ids = [a.id for a in agents]
    months = recent(month, TREND_MONTHS)
    results: dict[tuple[str, int], AgentMonthResult] = {}
    if ids:
        for result in session.scalars(
            select(AgentMonthResult).where(
                AgentMonthResult.month.in_(months), AgentMonthResult.agent_id.in_(ids)
            )
        ):
            results[(result.month, result.agent_id)] = result
    stale: dict[str, list[int]] = {}
    for (m, agent_id), result in results.items():
        if result.rubric_digest != grading.digest:
            stale.setdefault(m, []).append(agent_id)
    if stale:
        for m, agent_ids in stale.items():
            for result in recompute_many(session, grading, m, agent_ids):
                results[(m, result.agent_id)] = result
        session.commit()
    rows = [
        Row(
            agent=agent,
            result=results.get((month, agent.id)),
            trend=[
                (m, points(results[(m, agent.id)].total_x100) if (m, agent.id) in results else None)
                for m in months
            ],
        )
        for agent in agents
    ]
    grades = [band.grade for band in grading.rubric.bands]
    return Report(month, centre, rows, grades, months)


def to_csv(report: Report, grading: Grading) -> str:
    """The report as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese)."""
    sections = grading.rubric.sections
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "month",
            "centre",
            "agent_number",
            "name",
            "status",
            *(f"{s.id} {s.label.zh_CN}" for s in sections),
            "total",
            "grade",
        ]
    )
    for row in report.rows:
        writer.writerow(
            [
                report.month,
                row.agent.centre,
                row.agent.agent_number,
                _safe(row.agent.user.display_name or row.agent.user.username),
                row.status,
                *(_number(row.section(s.id)) for s in sections),
                _number(row.total),
                row.grade or "",
            ]
        )
    return out.getvalue()


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _safe(text: str) -> str:
    """Keep a spreadsheet from reading a name as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
