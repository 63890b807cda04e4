"""The timeline and the search query, from rows and strings alone (no database, no web)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ivr.analytics import search
from ivr.analytics.trace import Rows, mask_keys, timeline
from ivr.calls.models import Call, CallEvent

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def event(seconds: int, kind: str, node: str = "", digits: str = "", **detail) -> CallEvent:
    return CallEvent(
        kind=kind,
        node=node,
        digits=digits,
        detail=detail,
        created_at=START + timedelta(seconds=seconds),
    )


def test_keys_at_a_sensitive_node_are_hidden_whatever_the_row_holds():
    call = Call(sid="CA" + "1" * 32, started_at=START, from_number="+8643262012345", locale="zh-CN")
    rows = Rows(
        call,
        [
            event(0, "incoming", "welcome"),
            event(5, "digits", "account", "220102198001011234#"),  # an old row, stored in clear
            event(6, "account-lookup", "account", result="wrong", number="220102198001011234"),
            event(9, "invalid", "fax", "13904311234", reason="mobile"),
            event(12, "speech-heard", "main_menu", phrase="养老", confidence=0.9),
            event(14, "agent-offered", "agent", agent=7, waited=31),
            event(15, "agent-dial", "agent", agent=7),
            event(75, "agent-answered", "agent", agent=7),
        ],
        agents={7: "1001 王芳"},
    )
    trace = timeline(rows, {"account"}, {"account": "account"})
    by_kind = {step.kind: step for step in trace.steps}
    assert by_kind["digits"].keys == "***" and by_kind["digits"].node_type == "account"
    assert dict(by_kind["account-lookup"].details) == {"结果 Result": "wrong", "号码 Number": "***"}
    assert by_kind["invalid"].keys == "139******34"
    assert by_kind["speech-heard"].group == "speech"
    assert dict(by_kind["speech-heard"].details)["识别内容 Phrase"] == "养老"
    offered = by_kind["agent-offered"]  # a kind this module does not know: shown as it is
    assert (offered.label, offered.seconds) == ("agent-offered", 14.0)
    assert dict(offered.details) == {"座席 Agent": "1001 王芳", "已等待 Waited": "31 s"}
    assert trace.summary.agents == ("1001 王芳",) and trace.summary.longest_wait == 31
    assert trace.summary.talk == 60
    assert trace.summary.invalid == 1 and trace.summary.speech


def test_fax_numbers_keep_their_area_code_and_last_two_digits():
    assert mask_keys("043188881234") == "0431******34"
    assert mask_keys("01088881234") == "010******34"
    assert mask_keys("+8643262012345") == "+86*********45"


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("+8643262012345", ("+8643262012345", "043262012345")),
        ("0432-6201 2345", ("043262012345", "+8643262012345")),
        ("13904311234", ("13904311234", "+8613904311234")),
        ("008613904311234", ("008613904311234", "+8613904311234")),
        ("sip:1001@pbx.example", ("sip:1001@pbx.example",)),
    ],
)
def test_numbers_are_matched_in_their_stored_forms(text, values):
    assert search.parse(text) == search.Query("number", values)


def test_a_callsid_is_taken_whole():
    sid, uuid = "CA" + "0a" * 16, "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
    assert search.parse(f" {sid} ") == search.Query("sid", (sid,))
    assert search.parse(uuid) == search.Query("sid", (uuid,))
    for bad in (
        "",
        "CA" + "0" * 31,
        sid + "0",
        sid.upper(),
        uuid.upper(),
        "12",
        "1;DROP",
        "x" * 200,
    ):
        with pytest.raises(search.BadQuery):
            search.parse(bad)
