"""Fax numbers as callers key them: Chinese landlines, with or without the area code."""

from __future__ import annotations

import re

# Area codes: 010, 02x (three digits) or 0 + three digits; local numbers 7-8 digits, not 0/1.
LANDLINE = re.compile(r"(?P<area>010|02\d|0[3-9]\d\d)?(?P<local>[2-9]\d{6,7})")
MOBILE = re.compile(r"1[3-9]\d{9}")


def check(keyed: str) -> str:
    """``ok``, ``mobile`` (an 11-digit mobile number: it takes no fax) or ``invalid``."""
    if MOBILE.fullmatch(keyed):
        return "mobile"
    return "ok" if LANDLINE.fullmatch(keyed) else "invalid"


def with_area_code(number: str, caller_area: str) -> str:
    """A local number dialled from the caller's own area gets that area code."""
    if number.startswith("0") or not re.fullmatch(r"0\d{2,3}", caller_area):
        return number
    return caller_area + number


def e164(number: str) -> str:
    """``043188881234`` → ``+8643188881234``; a number without area code cannot be."""
    if not (number.startswith("0") and LANDLINE.fullmatch(number)):
        raise ValueError(f"fax number {number[:4]}… has no area code")
    return "+86" + number[1:]
