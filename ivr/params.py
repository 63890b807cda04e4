"""Values telephony platforms post, parsed strictly (whole strings, ASCII digits only)."""

from __future__ import annotations

import re

WHOLE = re.compile(r"[0-9]{1,9}")  # fits a 32-bit INTEGER column
# A caller's or callee's address as platforms post it (From, To): a number, a SIP
# address, a browser client, or anonymous. Match whole strings (fullmatch).
# Somleng's call and recording identifiers: lower-case hex with dashes (a pattern to embed).
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ADDRESS = re.compile(r"\+?[0-9]{0,20}|client:[\w.-]{1,64}|sip:[^\s]{1,128}|anonymous", re.I)


def whole_number(value: str | None) -> int | None:
    """A whole number as posted (seconds, ids), or None for anything else: ``"²"``,
    ``"12\\n"`` and a thousand nines are not numbers here."""
    return int(value) if value and WHOLE.fullmatch(value) else None
