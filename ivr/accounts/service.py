"""Checking a caller's personal number and password, and locking after three wrong ones.

Wrong passwords are counted in the database (atomically, ``failed_attempts =
failed_attempts + 1``), so hanging up and calling again does not reset them;
the third locks phone lookup of that account for :data:`LOCK_MINUTES`. An
unknown number is told apart from a wrong password by no one: both cost the
same password-hash check and get the same answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ivr.accounts.models import PersonalAccount

MAX_FAILURES = 3
LOCK_MINUTES = 30
PERSONAL_NUMBER = re.compile(r"\d{6,20}")
PASSWORD = re.compile(r"\d{6}")
_DUMMY_HASH = generate_password_hash("000000")  # checked for unknown numbers: same cost


@dataclass(frozen=True)
class Outcome:
    """``status`` is ``ok``, ``wrong`` or ``locked``; ``account`` only when ok."""

    status: str
    account: PersonalAccount | None = None
    locked_until: datetime | None = None
    just_locked: bool = False

    def minutes_left(self, now: datetime) -> int:
        if self.locked_until is None:
            return 0
        return max(1, math.ceil((self.locked_until - now).total_seconds() / 60))


def find_id(db: Session, personal_number: str) -> int:
    """The account's row id, or 0 when there is none (the caller is not told which)."""
    account_id = db.scalar(
        select(PersonalAccount.id).where(PersonalAccount.personal_number == personal_number)
    )
    return account_id or 0


def check(db: Session, account_id: int, password: str, now: datetime) -> Outcome:
    """Verify ``password`` for the account; count a wrong one, lock at the third.

    The caller commits. A locked account is not checked at all (a right
    password does not unlock it early, so guessing gains nothing).
    """
    account = db.get(PersonalAccount, account_id) if account_id else None
    if account is None:
        check_password_hash(_DUMMY_HASH, password)
        return Outcome("wrong")
    db.refresh(account)  # another call may have counted a failure a moment ago
    locked_until = account.locked_until
    if locked_until is not None and locked_until > now:
        return Outcome("locked", locked_until=locked_until)
    if PASSWORD.fullmatch(password) and account.check_password(password):
        if account.failed_attempts or account.locked_until is not None:
            account.failed_attempts, account.locked_until = 0, None
        return Outcome("ok", account)
    failures = db.execute(
        update(PersonalAccount)
        .where(PersonalAccount.id == account.id)
        .values(failed_attempts=PersonalAccount.failed_attempts + 1)
        .returning(PersonalAccount.failed_attempts),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    if failures < MAX_FAILURES:
        return Outcome("wrong")
    until = now + timedelta(minutes=LOCK_MINUTES)
    db.execute(
        update(PersonalAccount)
        .where(PersonalAccount.id == account.id)
        .values(failed_attempts=0, locked_until=until),
        execution_options={"synchronize_session": False},
    )
    db.expire(account)
    return Outcome("locked", locked_until=until, just_locked=True)


def unlock(db: Session, personal_number: str) -> bool:
    """Clear the failure count and lock (``ivr accounts unlock``, e.g. after an agent's check)."""
    result = db.execute(
        update(PersonalAccount)
        .where(PersonalAccount.personal_number == personal_number)
        .values(failed_attempts=0, locked_until=None),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class AccountDesk:
    """What the ``account`` node may do, on one request's database session."""

    session: Session

    def find_id(self, personal_number: str) -> int:
        return find_id(self.session, personal_number)

    def check(self, account_id: int, password: str, now: datetime) -> Outcome:
        """Check the password; the failure count sticks whatever happens to the call."""
        outcome = check(self.session, account_id, password, now)
        self.session.commit()
        return outcome

    def rollback(self) -> None:
        self.session.rollback()
