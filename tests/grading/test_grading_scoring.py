"""Scoring: figures computed by hand, per the spec §4 formula."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ivr.grading import (
    CallEntries,
    Rubric,
    ScoringError,
    round2,
    score_agent,
    score_call,
    tally_section,
)

D = Decimal


def policy_calls(*scores: int) -> list[dict[str, int]]:
    """Calls of the test rubric scoring ``scores`` on policy (35 - mistakes)."""
    return [{"mistakes": 35 - s} for s in scores]


# --------------------------------------------------------------------------- weighted sections


def test_spec_example_one_inspector(test_rubric: Rubric) -> None:
    # 政策水平 = 班长综合评分×40% + (33+31+29)÷3×60% = 30×0.4 + 31×0.6 = 30.6
    result = score_agent(
        test_rubric,
        team_leader={"mistakes": 5},
        recordings={"insp-1": policy_calls(33, 31, 29)},
    )
    policy = result.sections["policy"]
    assert policy.team_leader_score == D("30.00")
    assert policy.inspector_means == {"insp-1": D("31.00")}
    assert policy.recordings_mean == D("31.00")
    assert policy.score == D("30.60")
    calls = result.inspectors["insp-1"].calls
    assert [c.sections["policy"].score for c in calls] == [33, 31, 29]
    assert result.inspectors["insp-1"].complete
    assert result.warnings == ()


def test_team_leader_composite_as_a_number(test_rubric: Rubric) -> None:
    result = score_agent(
        test_rubric,
        team_leader_scores={"policy": 30},
        recordings={"insp-1": policy_calls(33, 31, 29)},
    )
    assert result.sections["policy"].score == D("30.60")
    assert result.sections["policy"].team_leader is None


def test_two_inspectors_with_different_means_are_averaged(test_rubric: Rubric) -> None:
    # A: (33+31+29)/3 = 31.00; B: (35+34+32)/3 = 33.666… -> 33.67
    # mean (31.00 + 33.67)/2 = 32.335 -> 32.34; 30×0.4 + 32.34×0.6 = 12 + 19.404 -> 31.40
    result = score_agent(
        test_rubric,
        team_leader_scores={"policy": 30},
        recordings={"A": policy_calls(33, 31, 29), "B": policy_calls(35, 34, 32)},
    )
    policy = result.sections["policy"]
    assert policy.inspector_means == {"A": D("31.00"), "B": D("33.67")}
    assert policy.recordings_mean == D("32.34")
    assert policy.score == D("31.40")
    assert list(result.inspectors) == ["A", "B"]
    assert result.inspectors["B"].means == {"policy": D("33.67")}


def test_real_policy_section_by_levels(monthly: Rubric) -> None:
    # Team leader: accuracy 85.1–90% (−6) -> 29.
    # Calls: perfect 35; 94.1–99.9% (−1) 34; 90.1–94% (−3) + analysis fairly good (−3) 29.
    # Mean (35+34+29)/3 = 32.666… -> 32.67; 29×0.4 + 32.67×0.6 = 11.6 + 19.602 -> 31.20.
    result = score_agent(
        monthly,
        team_leader={"accuracy": "from_85_1"},
        recordings={
            "chen": [
                {},
                {"accuracy": "from_94_1"},
                {"accuracy": D("92.5"), "analysis": "good"},
            ]
        },
    )
    policy = result.sections["policy"]
    assert policy.team_leader_score == D("29.00")
    assert policy.recordings_mean == D("32.67")
    assert policy.score == D("31.20")
    third = result.inspectors["chen"].calls[2].sections["policy"]
    assert third.items["accuracy"].value == "from_90_1"
    assert third.items["accuracy"].amount == 3
    # Service norms untouched: 30×0.4 + 30×0.6 = 30.
    assert result.sections["service"].score == 30


def test_service_norms_deductions(monthly: Rubric) -> None:
    call = score_call(
        monthly,
        CallEntries({"greeting": True, "forbidden_phrase": True, "typing": False}, call_id="c-17"),
    )
    service = call.sections["service"]
    assert call.call_id == "c-17"
    assert service.raw == D("3.5")
    assert service.score == D("26.5")
    assert service.items["greeting"].value == 1
    assert service.items["typing"].amount == 0


def test_a_recording_never_goes_below_zero(monthly: Rubric) -> None:
    worst = {"accuracy": "below_80", "analysis": "confused", "language": "illogical"}
    call = score_call(monthly, worst)
    assert call.sections["policy"].raw == 35
    assert call.sections["policy"].score == 0


def test_recording_floor_applies_per_call(test_rubric: Rubric) -> None:
    # 50 mistakes would be −15 on its own; the call scores 0, not −15.
    result = score_agent(
        test_rubric,
        team_leader_scores={"policy": 35},
        recordings={"A": [{"mistakes": 50}, {}, {}]},
    )
    calls = result.inspectors["A"].calls
    assert calls[0].sections["policy"].score == 0
    assert calls[0].sections["policy"].floored
    # (0 + 35 + 35)/3 = 23.33; 35×0.4 + 23.33×0.6 = 14 + 13.998 -> 28.00
    assert result.sections["policy"].recordings_mean == D("23.33")
    assert result.sections["policy"].score == D("28.00")


# --------------------------------------------------------------------------- direct sections, bonus


def perfect_recordings() -> dict[str, list[dict]]:
    return {"A": [{}, {}, {}]}


def test_nothing_noted_means_full_marks(monthly: Rubric) -> None:
    result = score_agent(monthly, recordings=perfect_recordings())
    assert [s.score for s in result.sections.values()] == [35, 30, 15, 5, 5, 10, 0]
    assert result.base == 100
    assert result.total == 100
    assert result.grade == "A"


def test_direct_section_floored_at_zero_despite_big_deductions(monthly: Rubric) -> None:
    result = score_agent(
        monthly,
        recordings=perfect_recordings(),
        direct={"loud_talking": 5, "phone_not_off": 6, "valid_complaint": 7},
    )
    discipline = result.sections["discipline"]
    assert discipline.tally is not None
    assert discipline.tally.raw == 16  # 5×2 + 6×1
    assert discipline.score == 0 and discipline.tally.floored
    complaints = result.sections["complaints"]
    assert complaints.tally is not None and complaints.tally.raw == 14
    assert complaints.score == 0
    assert result.total == 100 - 15 - 10


def test_bonus_is_capped_at_20(monthly: Rubric) -> None:
    # banner 2×10 + phone 1×2 + suggestions 3×1 = 25 -> 20
    result = score_agent(
        monthly,
        recordings=perfect_recordings(),
        direct={"praise_banner": 2, "praise_phone": 1, "adopted_suggestion": 3},
    )
    assert result.bonus_raw == 25
    assert result.bonus == 20
    bonus = result.sections["bonus"]
    assert bonus.tally is not None and bonus.tally.capped
    assert result.total == 120 == result.max_total


def test_work_summary_and_study_are_awarded_points(monthly: Rubric) -> None:
    result = score_agent(
        monthly,
        recordings=perfect_recordings(),
        direct={"monthly_summary": D("3.5"), "training": 5, "praise_written": 1},
    )
    assert result.sections["summary"].score == D("3.5")
    assert result.sections["study"].score == 5
    assert result.base == D("98.5")
    assert result.bonus == 3
    assert result.total == D("101.5")


def test_a_full_month_by_hand(monthly: Rubric) -> None:
    """Every section at once, each figure computed by hand."""
    result = score_agent(
        monthly,
        # policy: 35 − 3 (analysis good) = 32; service: 30 − 0.5 − 1 = 28.5
        team_leader={"analysis": "good", "closing": True, "call_summary": True},
        recordings={
            # policy 35, 34, 32 -> 33.67; service 30, 27, 29.5 -> 28.83
            "wang": [
                {},
                {"accuracy": "from_94_1", "forbidden_phrase": True},
                {"accuracy": "from_90_1", "greeting": True},
            ],
            # policy 29, 35, 35 -> 33.00; service 30, 30, 28 -> 29.33
            "li": [{"accuracy": "from_85_1"}, {}, {"database_quick": True}],
        },
        direct={
            "loud_talking": 1,  # discipline 15 − 2 = 13
            "computer_ip": 1,  # − 0.5 -> 12.5
            "monthly_summary": 4,
            "training": 5,
            "valid_complaint": 1,  # complaints 10 − 2 = 8
            "adopted_suggestion": 2,  # bonus 2 + 2 = 4
            "praise_phone": 1,
        },
    )
    policy, service = result.sections["policy"], result.sections["service"]
    assert policy.inspector_means == {"wang": D("33.67"), "li": D("33.00")}
    # (33.67 + 33.00)/2 = 33.335 -> 33.34; 32×0.4 + 33.34×0.6 = 12.8 + 20.004 -> 32.80
    assert policy.recordings_mean == D("33.34")
    assert policy.score == D("32.80")
    assert service.inspector_means == {"wang": D("28.83"), "li": D("29.33")}
    # (28.83 + 29.33)/2 = 29.08; 28.5×0.4 + 29.08×0.6 = 11.4 + 17.448 -> 28.85
    assert service.recordings_mean == D("29.08")
    assert service.score == D("28.85")
    assert result.sections["discipline"].score == D("12.5")
    assert result.sections["complaints"].score == 8
    # 32.80 + 28.85 + 12.5 + 4 + 5 + 8 = 91.15; bonus 4 -> 95.15
    assert result.base == D("91.15")
    assert result.bonus == 4
    assert result.total == D("95.15")
    assert result.grade == "A"
    assert result.band is not None and result.band.label is not None
    data = result.as_dict()
    json.dumps(data)  # JSON-ready
    assert data["total"] == "95.15"
    assert data["grade"] == "A"
    assert data["sections"]["policy"]["inspector_means"] == {"wang": "33.67", "li": "33.00"}


def test_volunteer_spot_check(volunteer: Rubric) -> None:
    result = score_agent(volunteer, direct={"answer_speed": "fair", "tone": "poor"})
    assert result.total == 93
    assert result.grade is None
    assert result.inspectors == {}


# --------------------------------------------------------------------------- rounding, warnings


def test_round2_is_half_up() -> None:
    assert round2(D("32.335")) == D("32.34")
    assert round2(D("0.005")) == D("0.01")
    assert round2(D("31.404")) == D("31.40")


def test_incomplete_sampling_is_a_warning(test_rubric: Rubric) -> None:
    result = score_agent(
        test_rubric,
        team_leader_scores={"policy": 30},
        recordings={"A": policy_calls(33, 31)},
    )
    assert not result.inspectors["A"].complete
    assert result.warnings == ("inspector 'A' scored 2 calls, expected 3",)
    assert result.sections["policy"].recordings_mean == 32


# --------------------------------------------------------------------------- bad entries


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"recordings": {"A": [{"no_such_item": True}]}}, "unknown item 'no_such_item'"),
        ({"recordings": {"A": [{"accuracy": "perfect"}]}}, "unknown level 'perfect'"),
        ({"recordings": {"A": [{"accuracy": 101}]}}, "no level covers 101%"),
        ({"recordings": {"A": [{"greeting": 2}]}}, "expected true/false or 0..1"),
        ({"recordings": {"A": [{"loud_talking": 1}]}}, "belongs to the direct section"),
        ({"recordings": {"A": [{}]}, "direct": {"greeting": True}}, "belongs to the weighted"),
        ({"recordings": {"A": [{}]}, "direct": {"loud_talking": -1}}, "whole number >= 0"),
        ({"recordings": {"A": [{}]}, "direct": {"training": 6}}, "award 0..5 points"),
        ({"recordings": {}}, "no sampled recordings"),
        ({"recordings": {"A": []}}, "expected a list of calls"),
        ({"recordings": {"A": {}}}, "expected a list of calls"),
        (
            {"recordings": {"A": [{}]}, "team_leader_scores": {"policy": 36}},
            "must be 0..35",
        ),
        (
            {"recordings": {"A": [{}]}, "team_leader_scores": {"discipline": 10}},
            "is not weighted",
        ),
    ],
)
def test_bad_entries_are_refused(monthly: Rubric, kwargs: dict, message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        score_agent(monthly, **kwargs)


def test_tally_section_ignores_other_sections_items(monthly: Rubric) -> None:
    tally = tally_section(monthly.section("complaints"), {"valid_complaint": 2, "greeting": True})
    assert tally.score == 6
    assert list(tally.items) == ["valid_complaint"]
