"""Upgrading moves accounts' wrong-password counts and locks to rows keyed by a keyed hash."""

from __future__ import annotations

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text

from ivr.accounts.service import lookup_key
from ivr.cli import main
from ivr.migrate import alembic_config, upgrade
from tests.harness import app_environ

NUMBER, CALM = "220102198001011234", "220202197503154321"
UNTIL = "2026-11-23 02:30:00.000000"


@pytest.fixture
def database_before(tmp_path) -> str:
    """A SQLite file at 0008 holding one account with failures and a lock, one without."""
    url = f"sqlite:///{tmp_path / 'before.db'}"  # its own file: the test commits
    upgrade(url, "0008")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO personal_accounts (personal_number, name, password_hash,"
                " pension_balance_fen, months_contributed, medical_balance_fen,"
                " failed_attempts, locked_until, created_at, updated_at)"
                " VALUES (:number, '张伟', 'x', 0, 0, 0, :failed, :until, :now, :now)"
            ),
            [
                {"number": NUMBER, "failed": 2, "until": UNTIL, "now": UNTIL},
                {"number": CALM, "failed": 0, "until": None, "now": UNTIL},
            ],
        )
    engine.dispose()
    return url


def test_ivr_db_upgrade_moves_counts_and_locks_to_keyed_rows(
    database_before, tmp_path, monkeypatch
):
    for key, value in app_environ(database_before, tmp_path).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(database_before)
    with engine.connect() as conn:
        locks = conn.execute(
            text("SELECT key, account_id, failed_attempts, locked_until FROM account_lookup_locks")
        ).all()
        assert [tuple(lock) for lock in locks] == [(lookup_key("test-secret", NUMBER), 1, 2, UNTIL)]
        columns = {c["name"] for c in inspect(conn).get_columns("personal_accounts")}
        assert not {"failed_attempts", "locked_until"} & columns

    command.downgrade(alembic_config(database_before), "0008")  # and back again
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT personal_number, failed_attempts, locked_until FROM personal_accounts")
        ).all() == [(NUMBER, 2, UNTIL), (CALM, 0, None)]
    engine.dispose()


def test_without_the_secret_key_the_upgrade_stops_before_changing_anything(database_before):
    with pytest.raises(RuntimeError, match="needs SECRET_KEY"):
        upgrade(database_before)
    upgrade(database_before, secret_key="another-secret")  # nothing half done
    engine = create_engine(database_before)
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT key FROM account_lookup_locks")).scalars().all()
    engine.dispose()
    assert keys == [lookup_key("another-secret", NUMBER)]
