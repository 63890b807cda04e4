"""The month re-added in plain SQL from the stored figures, to check the stored results.

Each sampled call's section scores, the team leader's and the direct sections'
figures are in ``inspection_figures`` (whole hundredths). SQL averages each
inspector's calls, then the inspectors, weighs them with the team leader's
figure, adds the sections and picks the band: the same steps, and the same
rounding (half up to hundredths at each step), as ivr.grading.scoring.
``ivr inspection check`` and bench/report.py compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from ivr.grading import Rubric
from ivr.inspection.models import AgentMonthResult


@dataclass
class Totals:
    sections: dict[str, int] = field(default_factory=dict)  # hundredths
    total: int | None = None
    grade: str | None = None


def sql_totals(session: Session, rubric: Rubric, month: str) -> dict[int, Totals]:
    """agent id -> section scores, total and grade, computed by the database."""
    weighted = rubric.weighted_sections
    params: dict[str, object] = {"month": month}
    weights_rows = []
    for index, section in enumerate(weighted):
        assert section.weights is not None
        params |= {
            f"ws{index}": section.id,
            f"wl{index}": str(section.weights.team_leader),
            f"wr{index}": str(section.weights.recordings),
        }
        weights_rows.append(
            f"SELECT CAST(:ws{index} AS VARCHAR(32)) AS section_id,"
            f" CAST(:wl{index} AS NUMERIC) AS wl, CAST(:wr{index} AS NUMERIC) AS wr"
        )
    grade_cases = []
    for index, band in enumerate(rubric.bands):
        params[f"g{index}"] = band.grade
        operator = ">=" if band.inclusive else ">"
        grade_cases.append(f"WHEN t.total {operator} {int(band.min * 100)} THEN :g{index}")
    grade_sql = f"CASE {' '.join(grade_cases)} END" if grade_cases else "NULL"
    weights_sql = " UNION ALL ".join(weights_rows) or "SELECT '' AS section_id, 0 AS wl, 0 AS wr"
    # Only names and numbers from the rubric file are formatted in; values are bound.
    sql = f"""
    WITH weights AS ({weights_sql}),
    per_inspector AS (
        SELECT agent_id, section_id, inspector_id, ROUND(AVG(score_x100)) AS mean
        FROM inspection_figures
        WHERE month = :month AND source = 'call'
        GROUP BY agent_id, section_id, inspector_id
    ),
    recordings AS (
        SELECT agent_id, section_id, ROUND(AVG(mean)) AS mean
        FROM per_inspector
        GROUP BY agent_id, section_id
    ),
    sections AS (
        SELECT r.agent_id, r.section_id, ROUND(l.score_x100 * w.wl + r.mean * w.wr) AS score
        FROM recordings r
        JOIN weights w ON w.section_id = r.section_id
        JOIN inspection_figures l
          ON l.month = :month AND l.source = 'leader'
         AND l.agent_id = r.agent_id AND l.section_id = r.section_id
        UNION ALL
        SELECT agent_id, section_id, score_x100 AS score
        FROM inspection_figures
        WHERE month = :month AND source = 'direct'
    ),
    totals AS (
        SELECT agent_id, SUM(score) AS total FROM sections GROUP BY agent_id
    )
    SELECT s.agent_id, s.section_id, s.score, t.total, {grade_sql} AS grade
    FROM sections s JOIN totals t ON t.agent_id = s.agent_id
    ORDER BY s.agent_id, s.section_id
    """  # noqa: S608
    statement = text(sql).bindparams(*(bindparam(k) for k in params))
    out: dict[int, Totals] = {}
    for agent_id, section_id, score, total, grade in session.execute(statement, params):
        row = out.setdefault(agent_id, Totals())
        row.sections[section_id] = int(score)
        row.total = int(total)
        row.grade = grade
    return out


def mismatches(session: Session, rubric: Rubric, month: str) -> list[str]:
    """Where the stored results and the SQL re-addition disagree (empty: they agree)."""
    computed = sql_totals(session, rubric, month)
    problems = []
    stored = {
        r.agent_id: r
        for r in session.scalars(select(AgentMonthResult).where(AgentMonthResult.month == month))
        if r.total_x100 is not None
    }
    for agent_id in sorted(set(stored) | set(computed)):
        result, sql = stored.get(agent_id), computed.get(agent_id)
        if result is None or sql is None:
            problems.append(f"agent {agent_id}: only in {'SQL' if result is None else 'results'}")
            continue
        if (result.total_x100, result.grade, result.sections) != (
            sql.total,
            sql.grade,
            sql.sections,
        ):
            problems.append(
                f"agent {agent_id}: stored {result.total_x100} {result.grade} {result.sections}"
                f" != SQL {sql.total} {sql.grade} {sql.sections}"
            )
    return problems
