"""Finding calls by the caller's number or the platform's call identifier.

A query is validated as a whole: a CallSid (Twilio's ``CA`` and 32 hex
digits, or Somleng's UUID), or a number as a caller's From is stored
(``+8643262012345``), typed the way people write it (``0432-6201 2345``,
``13904311234``) and matched exactly on its stored forms, or a ``sip:`` address.
Anything else is refused with a reason, never half-matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.calls.models import Call
from ivr.params import ADDRESS, UUID

CALL_SID = re.compile(rf"CA[0-9a-f]{{32}}|{UUID}")
_SEPARATORS = re.compile(r"[\s\-().]")
LIMIT = 50  # calls listed
PAGE, PAGES = 200, 20  # read this many at a time, at most this many times


class BadQuery(ValueError):
    """Not a CallSid nor a caller's number; the message says what is expected."""


@dataclass(frozen=True)
class Query:
    by: str  # "sid" or "number"
    values: tuple[str, ...]  # the stored forms to match exactly


def parse(text: str) -> Query:
    text = text.strip()
    if not text:
        raise BadQuery("请输入来电号码或通话编号 Enter a caller's number or a CallSid.")
    if len(text) > 160:
        raise BadQuery("太长 Too long for a number or a CallSid.")
    if CALL_SID.fullmatch(text):
        return Query("sid", (text,))
    if text.lower().startswith("sip:"):
        if not ADDRESS.fullmatch(text):
            raise BadQuery("SIP地址无效 Not a sip: address.")
        return Query("number", (text,))
    number = _SEPARATORS.sub("", text)
    if not re.fullmatch(r"\+?\d{5,20}", number):
        raise BadQuery(
            "不是电话号码或通话编号 Not a phone number (digits, an optional +) nor a CallSid "
            "(CA and 32 hex digits, or a UUID)."
        )
    return Query("number", stored_forms(number))


def stored_forms(number: str) -> tuple[str, ...]:
    """The forms a caller's number may be stored in: as typed, and in E.164 (+86…)."""
    forms = [number]
    if number.startswith("0086"):
        forms.append("+" + number[2:])
    elif number.startswith("0") and not number.startswith("00"):
        forms.append("+86" + number[1:])
    elif number.startswith("1") and len(number) == 11:  # a mobile number
        forms.append("+86" + number)
    elif number.startswith("+86"):
        national = number[3:]
        forms.append(national if national.startswith("1") else "0" + national)
    return tuple(dict.fromkeys(forms))


def find(
    session: Session,
    query: Query,
    visible: Callable[[Call], bool] = lambda call: True,
    limit: int = LIMIT,
) -> list[Call]:
    """The calls the query names that ``visible`` lets the user see, newest first.

    Read a page at a time, so that a user who sees only some calls (an inspector's
    samples, an agent's own) still gets the newest of those, not a filtered top 50.
    """
    column = Call.sid if query.by == "sid" else Call.from_number
    statement = (
        select(Call)
        .where(column.in_(query.values))
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(PAGE)
    )
    found: list[Call] = []
    for page in range(PAGES):
        batch = list(session.scalars(statement.offset(page * PAGE)))
        found += [call for call in batch if visible(call)]
        if len(found) >= limit or len(batch) < PAGE:
            break
    return found[:limit]
