"""Complaint tests use the shared fixtures, plus the live-app and media fixtures of voicemail."""

from tests.voicemail.conftest import make_live_app, media  # noqa: F401 - fixtures
