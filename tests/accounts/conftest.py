"""Accounts for option 4 tests, and helpers to look at what a call left behind."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import select

from ivr.accounts.models import PersonalAccount
from ivr.calls.models import Call, CallEvent

NUMBER = "220102198001011234"
PASSWORD = "135790"
WRONG = "246801"


@pytest.fixture
def make_account(db_session) -> Callable[..., PersonalAccount]:
    def make(
        personal_number: str = NUMBER,
        password: str = PASSWORD,
        name: str = "张伟",
        **fields: object,
    ) -> PersonalAccount:
        values: dict[str, object] = {
            "pension_balance_fen": 1_234_567,
            "months_contributed": 123,
            "last_contribution": date(2026, 10, 1),
            "medical_balance_fen": 234_560,
            **fields,
        }
        account = PersonalAccount(personal_number=personal_number, name=name, **values)
        account.set_password(password)
        db_session.add(account)
        db_session.commit()
        return account

    return make


@pytest.fixture
def account(make_account) -> PersonalAccount:
    return make_account()


@pytest.fixture
def log_lines(app) -> Iterator[list[str]]:
    """Every message logged by the app and the ivr package, unmasked, as it was written."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())
            if record.exc_info:
                lines.append(logging.Formatter().formatException(record.exc_info))

    handler = Collect()
    loggers = [logging.getLogger(name) for name in (app.logger.name, "ivr")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lines
    for logger in loggers:
        logger.removeHandler(handler)


def call_events(db_session, sid: str) -> list[CallEvent]:
    call = db_session.scalars(select(Call).where(Call.sid == sid)).one()
    return list(call.events)


def key_of(number: str) -> str:
    """The number's lock key, with the test app's SECRET_KEY."""
    from flask import current_app

    from ivr.accounts.service import lookup_key

    return lookup_key(current_app.config["SETTINGS"].secret_key, number)


def database_text(db_session) -> str:
    """Every row of every table, as one string to search for what must not be stored."""
    from ivr.db import Base

    return "\n".join(
        repr(tuple(row))
        for table in Base.metadata.sorted_tables
        for row in db_session.execute(select(table))
    )


def stored_text(db_session) -> str:
    """Everything the calls tables hold, as one string to search for leaks."""
    rows = db_session.scalars(select(CallEvent)).all()
    calls = db_session.scalars(select(Call)).all()
    return "\n".join(
        [f"{e.key} {e.kind} {e.node} {e.digits} {e.detail}" for e in rows]
        + [f"{c.sid} {c.from_number} {c.to_number}" for c in calls]
    )
