"""Rubric form fields, the two-channel transcript, its suggestions and the charts (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ivr.inspection import charts
from ivr.inspection import entries as form_entries
from ivr.inspection import transcript as tx
from ivr.inspection.months import MonthError, bounds, month_of, parse_month, recent, shift

D = Decimal


def sections(grading, *ids):
    return [grading.rubric.section(i) for i in ids]


def test_an_empty_form_means_nothing_deducted(grading):
    entries, errors = form_entries.parse(sections(grading, "policy", "service"), {})
    assert errors == {}
    assert entries["accuracy"] == "all" and entries["analysis"] == "complete"
    assert entries["greeting"] is False and entries["forbidden_phrase"] is False
    assert entries == form_entries.defaults(sections(grading, "policy", "service"))


def test_form_values_become_entries(grading):
    form = {
        "i-accuracy": "from_85_1",
        "i-greeting": "1",
        "i-loud_talking": "2",
        "i-monthly_summary": "3.5",
        "i-training": "",
        "i-praise_phone": " 1 ",
    }
    all_sections = grading.rubric.sections
    entries, errors = form_entries.parse(all_sections, form)
    assert errors == {}
    assert entries["accuracy"] == "from_85_1"
    assert entries["greeting"] is True
    assert entries["loud_talking"] == 2
    assert entries["monthly_summary"] == "3.5"
    assert entries["training"] == "5"  # blank: full points
    assert entries["praise_phone"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("i-accuracy", "perfect"),
        ("i-greeting", "yes please"),
        ("i-loud_talking", "-1"),
        ("i-loud_talking", "1.5"),
        ("i-loud_talking", "100"),
        ("i-monthly_summary", "5.5"),
        ("i-monthly_summary", "abc"),
        ("i-monthly_summary", "NaN"),
        ("i-monthly_summary", "4.333"),
    ],
)
def test_bad_values_are_reported_per_item(grading, field, value):
    entries, errors = form_entries.parse(grading.rubric.sections, {field: value})
    assert list(errors) == [field.removeprefix("i-")]
    assert field.removeprefix("i-") not in entries


def test_stored_entries_show_again_in_the_form(grading):
    rubric = grading.rubric
    assert form_entries.field_value(rubric.item("greeting"), True) == "1"
    assert form_entries.field_value(rubric.item("greeting"), False) == ""
    assert form_entries.field_value(rubric.item("accuracy"), None) == "all"
    assert form_entries.field_value(rubric.item("loud_talking"), 3) == "3"
    assert form_entries.field_value(rubric.item("monthly_summary"), None) == "5"


def test_the_transcript_reads_as_lines_of_each_channel(rendered):
    lines = tx.lines(rendered["forbidden"]["transcript"])
    assert [line.channel for line in lines[:3]] == ["agent", "caller", "agent"]
    assert "".join(w["word"] for w in lines[0].words) == "您好很高兴为您服务"
    assert all(line.start <= line.end for line in lines)
    starts = [line.start for line in lines]
    assert starts == sorted(starts)


def test_a_mono_transcript_is_one_channel():
    transcript = {
        "channels": [{"label": "caller"}],
        "words": [
            {"word": "你好", "start": 0.5, "end": 0.9},
            {"word": "请问", "start": 3.0, "end": 3.4},
        ],
    }
    lines = tx.lines(transcript)
    assert [(line.channel, len(line.words)) for line in lines] == [("caller", 1), ("caller", 1)]


def test_checks_run_on_the_agents_channel_and_point_at_the_moment(grading, rendered):
    transcript = rendered["forbidden"]["transcript"]
    report = tx.detection(grading, transcript)
    assert report.channel == "agent"
    hints = tx.hints(grading, report)
    forbidden = [h for h in hints if h.check == "forbidden_phrase"]
    assert [h.status for h in forbidden] == ["heard", "heard"]
    assert [h.phrase for h in forbidden] == ["这不归我管", "你去问别人"]
    said = next(w for w in transcript["words"] if w["word"] == "这" and w["channel"] == "agent")
    assert forbidden[0].start == said["start"]
    assert forbidden[0].item_id == "forbidden_phrase" and forbidden[0].deduction == D("3")
    assert hints[0].violation  # what needs a decision comes first
    assert tx.suggested_entries(report) == {
        "greeting": False,
        "closing": False,
        "forbidden_phrase": True,
    }


def test_a_missing_greeting_and_a_hold_are_suggested(grading, rendered):
    no_greeting = tx.suggested_entries(tx.detection(grading, rendered["no_greeting"]["transcript"]))
    assert no_greeting["greeting"] is True and no_greeting["closing"] is False
    hold = tx.hints(grading, tx.detection(grading, rendered["medical_hold"]["transcript"]))
    by_check = {h.check: h for h in hold}
    assert by_check["hold_ask"].status == "present"
    assert by_check["hold_return"].status == "present"
    assert (
        by_check["hold_progress"].status == "not_heard" and by_check["hold_progress"].entry is None
    )


def test_no_transcript_no_suggestions(grading):
    assert tx.detection(grading, {}) is None
    assert tx.hints(grading, None) == [] and tx.suggested_entries(None) == {}


def test_months():
    assert parse_month("2026-11") == (2026, 11)
    for bad in ("2026-13", "2026-1", "26-11", "2026/11", ""):
        with pytest.raises(MonthError):
            parse_month(bad)
    assert shift("2026-01", -1) == "2025-12" and shift("2026-12", 1) == "2027-01"
    assert recent("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


def test_month_bounds_are_in_the_centres_time_zone():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    start, end = bounds("2026-11", zone)
    assert start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert month_of(datetime(2026, 10, 31, 16, 30, tzinfo=UTC), zone) == "2026-11"
    assert month_of(datetime(2026, 10, 31, 15, 59, tzinfo=UTC), zone) == "2026-10"


def test_the_distribution_chart_is_plain_escaped_svg():
    svg = str(charts.distribution([("A", 3), ("B", 0), ("<x>", 1)], title="11月 <script>"))
    assert svg.startswith("<svg") and svg.count("<rect") == 3
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert ">3</text>" in svg


def test_the_trend_line_leaves_gaps_for_months_without_a_total():
    points = [("2026-08", D("90")), ("2026-09", None), ("2026-10", D("80")), ("2026-11", D("85"))]
    svg = str(charts.sparkline(points))
    assert svg.count("<polyline") == 1  # 2026-08 alone, then 10–11 joined
    assert "2026-09: —" in svg
    assert "—" in str(charts.sparkline([("2026-11", None)]))
