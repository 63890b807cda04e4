"""Wrong passwords from two calls at the same moment are both counted (UPDATE … + 1),
for a known number as for an unknown one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, event
from sqlalchemy.orm import Session

from ivr.accounts import service
from ivr.accounts.models import LookupLock, PersonalAccount

SECRET = "test-secret"


@pytest.fixture(params=["known", "unknown"])
def committed_lock(request, engine):
    """A number's lock row as the number step makes it, for an account's number or not."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time; the interleaving needs PostgreSQL")
    number = "220102198001019999"
    with Session(engine) as session:
        if request.param == "known":
            account = PersonalAccount(personal_number=number, name="赵敏")
            account.set_password("135790")
            session.add(account)
            session.flush()
        lock_id = service.open_lock(session, SECRET, number)
        session.commit()
    yield lock_id
    with Session(engine) as session:
        session.execute(delete(LookupLock).where(LookupLock.id == lock_id))
        session.execute(delete(PersonalAccount).where(PersonalAccount.personal_number == number))
        session.commit()


def test_a_failure_counted_between_read_and_write_is_not_lost(engine, committed_lock):
    now = datetime.now(UTC)
    first, second = Session(engine), Session(engine)
    interleaved: list[str] = []

    def other_call_fails_now(conn, cursor, statement, *args) -> None:
        # The first call has read the lock row and is about to count its failure:
        # the second call counts one and commits in between.
        if statement.lstrip().startswith("UPDATE account_lookup_locks") and not interleaved:
            interleaved.append(statement)
            assert service.check(second, committed_lock, "000000", now).status == "wrong"
            second.commit()

    event.listen(engine, "before_cursor_execute", other_call_fails_now)
    try:
        assert service.check(first, committed_lock, "111111", now).status == "wrong"
        first.commit()
    finally:
        event.remove(engine, "before_cursor_execute", other_call_fails_now)
        first.close()
        second.close()
    assert interleaved
    with Session(engine) as session:
        assert session.get(LookupLock, committed_lock).failed_attempts == 2
