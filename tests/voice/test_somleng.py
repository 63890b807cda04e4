"""The Somleng telephony profile: chosen by IVR_TELEPHONY, identifiers and TwiML it accepts."""

from __future__ import annotations

import pytest

from ivr.settings import SettingsError, load_settings
from ivr.voice.profiles import PROFILES
from tests.harness import app_environ


def test_telephony_defaults_to_twilio(tmp_path):
    assert load_settings(app_environ("sqlite://", tmp_path)).telephony == "twilio"


def test_telephony_somleng_is_accepted(tmp_path):
    settings = load_settings(app_environ("sqlite://", tmp_path, IVR_TELEPHONY="somleng"))
    assert settings.telephony == "somleng"
    assert PROFILES[settings.telephony].platform.pause is False


def test_unknown_telephony_names_the_variable(tmp_path):
    environ = app_environ("sqlite://", tmp_path, IVR_TELEPHONY="asterisk")
    with pytest.raises(SettingsError, match="IVR_TELEPHONY='asterisk' is invalid: use one of"):
        load_settings(environ)
