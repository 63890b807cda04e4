"""Every /voice request must be signed by Twilio and well formed."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

SID = re.compile(r"^CA[0-9a-f]{32}$")
RECORDING_SID = re.compile(r"^(RE[0-9a-f]{32})?$")
PHONE = re.compile(r"^(\+?[0-9]{0,20}|client:[\w.-]{1,64}|sip:[^\s]{1,128}|anonymous|)$", re.I)
DIGITS = re.compile(r"^([0-9*#]{0,32}|hangup)$")  # "hangup": caller hung up during <Record>
MAX_FIELD = 2048


def public_url() -> str:
    """The URL Twilio called, rebuilt from IVR_PUBLIC_URL (not request.url: proxies rewrite it)."""
    base = current_app.config["SETTINGS"].public_url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def signed_with(token: str) -> bool:
    """The request carries Twilio's signature, keyed with ``token``, of IVR_PUBLIC_URL + path."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not token:
        return False
    validator = RequestValidator(token)
    url = public_url()
    # Twilio signs the URL it called, which is ours as written: one HMAC decides. Only a
    # mismatch pays for validate(), which also tries the URL with and without its port.
    expected = validator.compute_signature(url, request.form)
    return hmac.compare_digest(expected, signature) or validator.validate(
        url, request.form, signature
    )


def require_signed(token: str) -> None:
    """400 unless the request is a form post, 403 unless ``token`` signed it (Twilio's way)."""
    if request.mimetype != "application/x-www-form-urlencoded":
        abort(400)
    if not signed_with(token):
        current_app.logger.warning("rejected unsigned or forged %s", request.path)
        abort(403)


def well_formed() -> bool:
    form = request.form
    if any(len(v) > MAX_FIELD or "\x00" in v for v in form.values()):
        return False
    return (
        bool(SID.match(form.get("CallSid", "")))
        and bool(PHONE.match(form.get("From", "")))
        and bool(PHONE.match(form.get("To", "")))
        and bool(DIGITS.match(form.get("Digits", "")))
        and bool(RECORDING_SID.match(form.get("RecordingSid", "")))
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
        if not well_formed():
            abort(400)
        return view(*args, **kwargs)

    return wrapper
