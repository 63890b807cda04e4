"""Telephony profiles: what a platform's requests look like and how its TwiML is written.

Every webhook's TwiML goes through :meth:`Profile.render`, and every request's
identifiers are checked against the profile, so another Twilio-compatible
platform (with its own identifiers and its own subset of TwiML) is one more
profile here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import platform
from ivr.params import UUID
from ivr.voice.twiml_text import to_xml


@dataclass(frozen=True)
class Profile:
    name: str
    call_sid: re.Pattern[str]  # matched against the whole value
    recording_sid: re.Pattern[str]
    render: Callable[[VoiceResponse], str]
    platform: platform.Platform  # what nodes may ask of it


TWILIO = Profile(
    name="twilio",
    call_sid=re.compile(r"CA[0-9a-f]{32}"),
    recording_sid=re.compile(r"RE[0-9a-f]{32}"),
    render=to_xml,
    platform=platform.TWILIO,
)

# Somleng (self-hosted, on FreeSWITCH): UUIDs, lower-case hex with dashes.
SOMLENG = Profile(
    name="somleng",
    call_sid=re.compile(UUID),
    recording_sid=re.compile(UUID),
    render=to_xml,
    platform=platform.SOMLENG,
)

PROFILES = {profile.name: profile for profile in (TWILIO, SOMLENG)}
