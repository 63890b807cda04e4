"""A server whose database is unreachable still answers callers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from ivr.flows import load_flows
from ivr.settings import ROOT
from ivr.simulator import http_transport
from tests.harness import ACCOUNT_SID, PUBLIC_URL, free_port
from tests.node_types import node_types
from tests.resilience.helpers import CALLER, phone


@pytest.fixture(scope="module")
def prompts():
    bundle = load_flows(ROOT / "flows", ZoneInfo("Asia/Shanghai"), "zh-CN", node_types=node_types())
    return lambda prompt_id: bundle.prompts.text("zh-CN", prompt_id)


def test_menu_and_fallback_answer_with_the_database_down(launcher, prompts):
    closed = free_port()  # nothing listens there
    down = f"postgresql://postgres@127.0.0.1:{closed}/nowhere?connect_timeout=1"
    [server] = launcher.servers(1, None, database=False, DATABASE_URL=down)
    status, health = server.healthz()
    assert status == 503 and health["checks"]["database"].startswith("error")

    transport = http_transport(server.base_url)
    call = phone(transport).call(["1", "1"])
    assert call.heard[0] == prompts("welcome")
    menus = {prompts("main_menu"), prompts("reduced_menu")}  # the hour decides which
    assert menus & set(call.heard)
    assert prompts("info_menu") in call.heard and prompts("topic_pension") in call.heard
    assert server.output().count("could not record call events") >= 3

    # Twilio's fallback URL: an apology and a <Record>, then a goodbye.
    caller = phone(transport)
    base = {"CallSid": "CA" + "5" * 32, "AccountSid": ACCOUNT_SID, "From": CALLER}
    params = {**base, "To": "+8643112333", "ErrorCode": "11200"}
    status, body = caller.post(f"{PUBLIC_URL}/voice/fallback", params)
    assert status == 200
    root = ET.fromstring(body)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Say", "Record", "Hangup"]
    assert root[0].text == prompts("fallback_apology")
    record = root[1].attrib
    assert record["action"] == f"{PUBLIC_URL}/voice/fallback?step=recorded"
    assert record["recordingStatusCallback"] == f"{PUBLIC_URL}/voice/recording"
    assert record["finishOnKey"] == "#" and int(record["maxLength"]) > 0

    recorded = {**params, "RecordingSid": "RE" + "6" * 32, "RecordingDuration": "9"}
    status, body = caller.post(record["action"], recorded)
    assert status == 200
    root = ET.fromstring(body)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root[0].text == prompts("fallback_saved")

    # The recording callback cannot be stored: 503, so Twilio keeps it and retries.
    callback = {
        **base,
        "RecordingSid": "RE" + "6" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE6",
        "RecordingStatus": "completed",
    }
    status, _ = caller.post(record["recordingStatusCallback"], callback)
    assert status == 503
    assert '" 500 ' not in server.output()  # gunicorn's access log: no server error
