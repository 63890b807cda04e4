"""The stream's ticket: short-lived, signed with SECRET_KEY, used once.

A menu's TwiML hands the platform a token as the ``<Stream>``'s ``<Parameter>``;
the media process accepts a stream only with a valid token it has not seen
before (the store's claim), so a replayed or forged stream stores nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "ivr.speechnav.stream"
MAX_AGE = 120  # seconds from the menu's answer to the stream's start (the prompt plays first)


@dataclass(frozen=True)
class Ticket:
    call: str  # CallSid
    node: str
    locale: str
    attempt: int  # 1, 2: the menu's spoken tries
    kind: str  # "menu" or "confirm"
    nonce: str  # names the stored result; the result URL carries it too
    num_digits: int = 1  # keys end the stream as the node's Gather would: this many,
    finish_on_key: str = ""  # or this key


def new_nonce() -> str:
    return secrets.token_hex(12)


def sign(secret: str, ticket: Ticket) -> str:
    return URLSafeTimedSerializer(secret, salt=SALT).dumps(asdict(ticket))


def verify(secret: str, token: str, max_age: int = MAX_AGE) -> Ticket | None:
    """The ticket, or None when forged, expired or malformed."""
    try:
        data = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=max_age)
        return Ticket(**data)
    except (BadSignature, TypeError):
        return None
