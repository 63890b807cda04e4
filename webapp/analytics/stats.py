"""/stats/: the centre statistics for a chosen period and centre, as tables, charts, CSV
and a printable page (admins and team leaders). The measures are ivr.analytics.stats'."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup

from ivr import db
from ivr.analytics.stats import MAX_DAYS, Figures, Period, Report, report
from ivr.complaints.deadlines import CATEGORIES
from webapp.access import permission_required
from webapp.analytics.charts import stacked_bars
from webapp.templating import duration

bp = Blueprint(
    "stats", __name__, url_prefix="/stats", static_folder="static", static_url_path="/static"
)

DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Measure:
    key: str  # a Figures field or property; the CSV column (with its unit)
    label: str
    kind: str  # "count", "seconds" or "share"

    def value(self, figures: Figures) -> float | None:
        return getattr(figures, self.key)

    def text(self, figures: Figures) -> str:
        value = self.value(figures)
        if self.kind == "seconds":
            return duration(value)
        if self.kind == "share":
            return "—" if value is None else f"{value:.0%}"
        return str(value)

    def csv(self, figures: Figures) -> str:
        value = self.value(figures)
        if value is None:
            return ""
        if self.kind == "share":
            return f"{value * 100:.1f}"
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    @property
    def column(self) -> str:
        return {"seconds": f"{self.key}_seconds", "share": f"{self.key}_percent"}.get(
            self.kind, self.key
        )


def measures(service_level_seconds: int) -> list[Measure]:
    return [
        Measure("offered", "来电 Calls offered", "count"),
        Measure("self_service", "自助服务 Self-service", "count"),
        Measure("gave_up", "菜单中放弃 Gave up in the menus", "count"),
        Measure("to_agents", "转人工 Offered to agents", "count"),
        Measure("answered", "人工接听 Answered", "count"),
        Measure("abandoned", "排队放弃 Abandoned in queue", "count"),
        Measure("average_abandon", "放弃前平均等待 Average wait before abandoning", "seconds"),
        Measure("average_answer", "平均应答速度 Average speed of answer", "seconds"),
        Measure(
            "service_level",
            f"服务水平 Service level ({service_level_seconds} 秒 s)",
            "share",
        ),
        Measure("longest_wait", "最长等待 Longest wait", "seconds"),
        Measure("average_talk", "平均通话 Average talk time", "seconds"),
        Measure("voicemails", "留言 Voicemails left", "count"),
    ]


COMPLAINT_MEASURES = (
    ("received", "受理 Received"),
    ("closed_in_time", "按期办结 Closed within the deadline"),
    ("closed_late", "逾期办结 Closed late"),
    ("overdue", "当前逾期 Overdue now"),
    ("followed_up", "已回访 Followed up"),
)
# The parts of each chart bar: a call is one of these, or none (a call still in progress).
CALL_SERIES = (
    ("part-self", "自助服务 Self-service"),
    ("part-answered", "人工接听 Answered"),
    ("part-abandoned", "排队放弃 Abandoned"),
    ("part-gave-up", "菜单中放弃 Gave up"),
    ("part-other", "其他 Other"),
)


def _parts(figures: Figures) -> list[int]:
    known = figures.self_service + figures.answered + figures.abandoned + figures.gave_up
    return [
        figures.self_service,
        figures.answered,
        figures.abandoned,
        figures.gave_up,
        max(figures.offered - known, 0),
    ]


def centre_names() -> dict[str, str]:
    """Every centre of the directory, in its order, provincial first: code -> name."""
    directory = current_app.extensions["ivr.flows"].directory
    names = {"provincial": directory.provincial.name("zh-CN")}
    names.update({code: centre.name("zh-CN") for code, centre in directory.centres.items()})
    return names


def _today() -> date:
    return datetime.now(current_app.config["SETTINGS"].timezone).date()


def _choice() -> tuple[Period, str, list[str]]:
    """The period and centre asked for (the last week and every centre by default)."""
    zone = current_app.config["SETTINGS"].timezone
    errors: list[str] = []
    last = _date(request.args.get("to"), _today(), "to", errors)
    first = _date(request.args.get("from"), last - timedelta(days=DEFAULT_DAYS - 1), "from", errors)
    try:
        period = Period(first, last, zone)
    except ValueError as exc:
        errors.append(f"时段无效 Invalid period: {exc}")
        last = _today()
        period = Period(last - timedelta(days=DEFAULT_DAYS - 1), last, zone)
    centre = request.args.get("centre", "")
    if centre and centre not in centre_names():
        errors.append(f"未知中心 Unknown centre: {centre}")
        centre = ""
    return period, centre, errors


def _date(raw: str | None, default: date, name: str, errors: list[str]) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(f"日期无效 Invalid date ({name}): {raw}")
        return default


def _report(period: Period, centre: str) -> Report:
    settings = current_app.config["SETTINGS"]
    return report(
        db.session(),
        period,
        current_app.extensions["ivr.flows"],
        centre=centre,
        service_level_seconds=settings.service_level_seconds,
    )


def _charts(result: Report) -> list[Markup]:
    days = list(result.by_day.items())
    return [
        stacked_bars(
            "chart-days",
            "每日来电 Calls per day",
            CALL_SERIES,
            [(day.strftime("%m-%d"), _parts(figures)) for day, figures in days],
            label_every=max(len(days) // 14, 1),
        ),
        stacked_bars(
            "chart-hours",
            "各时段来电 Calls by hour of the day",
            CALL_SERIES,
            [(f"{hour:02d}", _parts(figures)) for hour, figures in result.by_hour.items()],
            label_every=2,
        ),
    ]


@bp.get("/")
@permission_required("analytics.stats")
def index():
    period, centre, errors = _choice()
    result = _report(period, centre)
    names = centre_names()
    centres = [(code, name, result.by_centre.get(code, Figures())) for code, name in names.items()]
    centres += [  # a centre no longer in the directory, or calls with none
        (code, code or "未知 Unknown", figures)
        for code, figures in result.by_centre.items()
        if code not in names
    ]
    every = Figures()
    for figures in result.by_centre.values():
        every.add(figures)
    return render_template(
        "analytics/stats.html",
        result=result,
        period=period,
        centre=centre,
        names=names,
        centres=centres,
        every=every,
        errors=errors,
        measures=measures(current_app.config["SETTINGS"].service_level_seconds),
        complaint_measures=COMPLAINT_MEASURES,
        categories=CATEGORIES,
        charts=_charts(result),
        max_days=MAX_DAYS,
    )


@bp.get("/stats.csv")
@permission_required("analytics.stats")
def export():
    """The figures as CSV: ``by=day`` (default), ``hour`` or ``centre``."""
    period, centre, _ = _choice()
    by = request.args.get("by", "day")
    result = _report(period, centre)
    columns = measures(current_app.config["SETTINGS"].service_level_seconds)
    rows: list[tuple[str, Figures]]
    if by == "hour":
        rows = [(f"{hour:02d}:00", figures) for hour, figures in result.by_hour.items()]
    elif by == "centre":
        rows = list(result.by_centre.items())
    else:
        by = "day"
        rows = [(day.isoformat(), figures) for day, figures in result.by_day.items()]
    rows.append(("total", _total(result, by)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([by, *[m.column for m in columns]])
    for key, figures in rows:
        writer.writerow([key, *[m.csv(figures) for m in columns]])
    name = f"stats-{period.first}-{period.last}-{centre or 'all'}-by-{by}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _total(result: Report, by: str) -> Figures:
    if by != "centre":
        return result.total
    every = Figures()
    for figures in result.by_centre.values():
        every.add(figures)
    return every
