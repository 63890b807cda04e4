"""Every /voice request must be signed by Twilio and well formed."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request

from ivr.params import ADDRESS
from ivr.signatures import require_signed
from ivr.voice.profiles import Profile

DIGITS = re.compile(r"^([0-9*#]{0,32}|hangup)$")  # "hangup": caller hung up during <Record>
MAX_FIELD = 2048


def well_formed(profile: Profile) -> bool:
    form = request.form
    if any(len(v) > MAX_FIELD or "\x00" in v for v in form.values()):
        return False
    recording_sid = form.get("RecordingSid", "")
    return (
        bool(profile.call_sid.fullmatch(form.get("CallSid", "")))
        and bool(ADDRESS.fullmatch(form.get("From", "")))
        and bool(ADDRESS.fullmatch(form.get("To", "")))
        and bool(DIGITS.fullmatch(form.get("Digits", "")))
        and (not recording_sid or bool(profile.recording_sid.fullmatch(recording_sid)))
    )


def request_key() -> str:
    """Same for a retried request (same URL, same parameters), different otherwise.

    Twilio's signature already digests the URL and every parameter, so a retry
    carries the same one. It is keyed again with SECRET_KEY before it is stored:
    the parameters include keyed-in PINs, which a stored signature would let
    anyone holding the Twilio auth token brute-force.
    """
    secret = current_app.config["SETTINGS"].secret_key.encode()
    signature = request.headers.get("X-Twilio-Signature", "").encode()
    return hmac.new(secret, signature, hashlib.sha256).hexdigest()[:40]


def twilio_webhook(view: Callable[..., Any]) -> Callable[..., Any]:
    """403 for an unsigned or forged request, 400 for a malformed one; nothing is written."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_signed(current_app.config["SETTINGS"].twilio_auth_token)
        if not well_formed(current_app.extensions["ivr.telephony"]):
            abort(400)
        return view(*args, **kwargs)

    return wrapper
