"""A failing database never silences the caller."""

from __future__ import annotations

from ivr.app import create_app
from ivr.settings import load_settings
from ivr.simulator import Phone, flask_transport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, app_environ


def test_menu_answers_while_the_database_is_down(tmp_path, at):
    at(2026, 11, 23, 10, 0)
    down = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1"
    app = create_app({"SETTINGS": load_settings(app_environ(down, tmp_path))})
    phone = Phone(flask_transport(app.test_client(), PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN)
    call = phone.call(["1", "1"])
    assert call.heard[1].startswith("语音服务请按1")
    assert call.heard[3].startswith("养老保险：")
