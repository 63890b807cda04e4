"""Wrong passwords from two calls at the same moment are both counted (UPDATE … + 1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, event
from sqlalchemy.orm import Session

from ivr.accounts import service
from ivr.accounts.models import PersonalAccount


@pytest.fixture
def committed_account(engine):
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time; the interleaving needs PostgreSQL")
    with Session(engine) as session:
        account = PersonalAccount(personal_number="220102198001019999", name="赵敏")
        account.set_password("135790")
        session.add(account)
        session.commit()
        account_id = account.id
    yield account_id
    with Session(engine) as session:
        session.execute(delete(PersonalAccount).where(PersonalAccount.id == account_id))
        session.commit()


def test_a_failure_counted_between_read_and_write_is_not_lost(engine, committed_account):
    now = datetime.now(UTC)
    first, second = Session(engine), Session(engine)
    interleaved: list[str] = []

    def other_call_fails_now(conn, cursor, statement, *args) -> None:
        # The first call has read the account and is about to count its failure:
        # the second call counts one and commits in between.
        if statement.lstrip().startswith("UPDATE personal_accounts") and not interleaved:
            interleaved.append(statement)
            assert service.check(second, committed_account, "000000", now).status == "wrong"
            second.commit()

    event.listen(engine, "before_cursor_execute", other_call_fails_now)
    try:
        assert service.check(first, committed_account, "111111", now).status == "wrong"
        first.commit()
    finally:
        event.remove(engine, "before_cursor_execute", other_call_fails_now)
        first.close()
        second.close()
    assert interleaved
    with Session(engine) as session:
        assert session.get(PersonalAccount, committed_account).failed_attempts == 2
