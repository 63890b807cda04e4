"""Twilio's request signature (``X-Twilio-Signature``), checked on IVR_PUBLIC_URL + path.

Shared by the voice webhooks (keyed with the Twilio auth token) and by any
Twilio-compatible API that calls us back (a fax API, keyed with its own token).
"""

from __future__ import annotations

import hmac

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator


def public_url() -> str:
    """The URL the platform called, rebuilt from IVR_PUBLIC_URL (not request.url: proxies rewrite it)."""
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
