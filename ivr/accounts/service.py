"""Checking a caller's personal number and password, and locking after three wrong ones.

Every personal number keyed, known or not, gets a :class:`LookupLock` row
(keyed by HMAC-SHA256(SECRET_KEY, number), never the number). Wrong
passwords are counted there atomically (``failed_attempts + 1``), so hanging
up and calling again does not reset them; the third locks phone lookup of
that number for :data:`LOCK_MINUTES`. An unknown number costs the same
password-hash check, counts the same and locks the same as a wrong password
for a real account: what a caller hears, the call state in the URLs and the
logs are alike for both.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ivr.accounts.models import LookupLock, PersonalAccount

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


def lookup_key(secret: str, personal_number: str) -> str:
    """HMAC-SHA256(SECRET_KEY, personal number), hex: what a number's lock is found by."""
    return hmac.new(secret.encode(), personal_number.encode(), hashlib.sha256).hexdigest()


def open_lock(db: Session, secret: str, personal_number: str) -> int:
    """The id of the number's lock row, made on first use whether an account has it or not."""
    account_id = db.scalar(
        select(PersonalAccount.id).where(PersonalAccount.personal_number == personal_number)
    )
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(LookupLock).values(
        key=lookup_key(secret, personal_number), account_id=account_id, failed_attempts=0
    )
    upsert = insert.on_conflict_do_update(
        index_elements=[LookupLock.key], set_={"account_id": insert.excluded.account_id}
    ).returning(LookupLock.id)
    return db.execute(upsert).scalar_one()


def check(
    db: Session, lock_id: int, password: str, now: datetime, *, count: bool = True
) -> Outcome:
    """Verify ``password`` for the number behind the lock; count a wrong one, lock at the third.

    The caller commits. A locked number is not checked at all (a right
    password does not unlock it early, so guessing gains nothing). ``count=False``
    (a trial call) changes nothing: no failure counted, no lock set or cleared.
    """
    lock = db.get(LookupLock, lock_id, populate_existing=True)  # another call may have counted
    if lock is None:  # not one of ours (call state is only ever written by this server)
        check_password_hash(_DUMMY_HASH, password)
        return Outcome("wrong")
    if lock.locked_until is not None and lock.locked_until > now:
        return Outcome("locked", locked_until=lock.locked_until)
    account = db.get(PersonalAccount, lock.account_id) if lock.account_id else None
    right = check_password_hash(account.password_hash if account else _DUMMY_HASH, password)
    if account is not None and right and PASSWORD.fullmatch(password):
        if count and (lock.failed_attempts or lock.locked_until is not None):
            lock.failed_attempts, lock.locked_until = 0, None
        return Outcome("ok", account)
    if not count:
        return Outcome("wrong")
    failures = db.execute(
        update(LookupLock)
        .where(LookupLock.id == lock.id)
        .values(failed_attempts=LookupLock.failed_attempts + 1)
        .returning(LookupLock.failed_attempts),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    if failures < MAX_FAILURES:
        return Outcome("wrong")
    until = now + timedelta(minutes=LOCK_MINUTES)
    db.execute(
        update(LookupLock)
        .where(LookupLock.id == lock.id)
        .values(failed_attempts=0, locked_until=until),
        execution_options={"synchronize_session": False},
    )
    db.expire(lock)
    return Outcome("locked", locked_until=until, just_locked=True)


def unlock(db: Session, secret: str, personal_number: str) -> bool:
    """Clear the number's failure count and lock (``ivr accounts unlock``); False: never keyed."""
    result = db.execute(
        update(LookupLock)
        .where(LookupLock.key == lookup_key(secret, personal_number))
        .values(failed_attempts=0, locked_until=None),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class AccountDesk:
    """What the ``account`` node may do, on one request's database session."""

    session: Session
    secret: str  # SECRET_KEY, which keys the lock rows

    def open_lock(self, personal_number: str) -> int:
        """The number's lock row (made and committed on first use): the call carries its id."""
        lock_id = open_lock(self.session, self.secret, personal_number)
        self.session.commit()
        return lock_id

    def check(self, lock_id: int, password: str, now: datetime, *, count: bool = True) -> Outcome:
        """Check the password; the failure count sticks whatever happens to the call."""
        outcome = check(self.session, lock_id, password, now, count=count)
        self.session.commit()
        return outcome

    def rollback(self) -> None:
        self.session.rollback()
