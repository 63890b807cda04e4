"""Fallback URL, health, metrics and masked logs."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

from ivr.app import create_app
from ivr.logs import KeyValueFormatter, mask
from ivr.settings import load_settings
from ivr.simulator import Phone, flask_transport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, app_environ
from tests.voice.test_security import PARAMS, post, sign


def test_fallback_apologises_and_takes_a_message(client):
    params = {**PARAMS, "ErrorCode": "11200", "ErrorUrl": f"{PUBLIC_URL}/voice/incoming"}
    response = post(client, "/voice/fallback", params, sign(f"{PUBLIC_URL}/voice/fallback", params))
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert [child.tag for child in root] == ["Say", "Record", "Hangup"]
    assert root[0].text.startswith("对不起，系统暂时繁忙。")
    assert root[1].attrib["recordingStatusCallback"] == f"{PUBLIC_URL}/voice/recording"


def test_fallback_works_with_the_database_down(tmp_path):
    down = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1"
    app = create_app({"SETTINGS": load_settings(app_environ(down, tmp_path))})
    phone = Phone(flask_transport(app.test_client(), PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN)
    params = {**PARAMS, "ErrorCode": "11200"}
    status, body = phone.post(f"{PUBLIC_URL}/voice/fallback", params)
    assert status == 200 and "<Record" in body
    status, body = phone.post(
        f"{PUBLIC_URL}/voice/fallback?step=recorded", {**PARAMS, "RecordingSid": "RE" + "3" * 32}
    )
    assert status == 200 and "您的留言已保存" in body


def test_fallback_requires_a_signature(client):
    assert post(client, "/voice/fallback", PARAMS, "nope").status_code == 403


def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    checks = response.get_json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"].startswith("not configured")
    assert "speech" in checks


def test_healthz_is_503_when_the_database_is_down(tmp_path):
    down = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1"
    app = create_app({"SETTINGS": load_settings(app_environ(down, tmp_path))})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("error")


def test_metrics_count_options_and_time_webhooks(phone, client, at):
    at(2026, 11, 23, 10, 0)
    phone.call(["1", "3"])
    text = client.get("/metrics").get_data(as_text=True)
    assert 'ivr_menu_options_total{node="main_menu",option="1"}' in text
    assert 'ivr_webhook_seconds_count{endpoint="/voice/incoming"}' in text
    assert "ivr_calls_total" in text and "ivr_job_failures_total" in text


def test_logs_mask_numbers_and_pins():
    assert mask("caller +8613904311234 pressed") == "caller +86****234 pressed"
    assert mask("password=123456 and pin: 9876") == "password=*** and pin: ***"
    record = logging.LogRecord("ivr", logging.INFO, __file__, 1, "from %s", ("043188881234",), None)
    record.call_sid = "CA123"
    line = KeyValueFormatter().format(record)
    assert "call_sid=CA123" in line and "88881234" not in line
