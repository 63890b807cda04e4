"""Trial calls: walked by the staff web UI's "try it" keypad, never by a caller.

The server issues a trial call's CallSid itself: 16 random hex digits and the
first 16 of their HMAC under SECRET_KEY, in the telephony profile's shape
(Twilio's ``CA`` + 32 hex, Somleng's UUID). Nothing a caller or the platform
sends can make a call a trial: platforms issue their own SIDs, which carry no
such MAC, and every webhook is signed by the platform besides. A trial call
runs the real flow, but the domains skip what it would change (tickets,
faxes, lockout counts, agent claims, messages) and every figure leaves it out.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

HEX = re.compile(r"[0-9a-f]{32}")


def _mac(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"trial call {nonce}".encode(), hashlib.sha256).hexdigest()[
        :16
    ]


def new_sid(secret: str, telephony: str = "twilio") -> str:
    """A CallSid for a new trial call, shaped as ``telephony``'s SIDs are."""
    nonce = secrets.token_hex(8)
    digits = nonce + _mac(secret, nonce)
    if telephony == "somleng":
        return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    return "CA" + digits


def is_trial(secret: str, sid: str) -> bool:
    """Whether this server issued ``sid`` for a trial call."""
    digits = sid.removeprefix("CA").replace("-", "")
    if not secret or not HEX.fullmatch(digits):
        return False
    return hmac.compare_digest(digits[16:], _mac(secret, digits[:16]))
