"""ivr.clock: utcnow() and the UTCDateTime column type, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import StatementError

import ivr.models  # noqa: F401 - registers every table
from ivr.clock import UTCDateTime, utcnow
from ivr.db import Base, make_engine

CENTRE = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 11, 23, 2, 0, 0, 123456, tzinfo=UTC)  # 10:00 in the centre


def _table() -> Table:
    return Table(
        "clock_check",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def conn(request, tmp_path: Path) -> Iterator[Connection]:
    """A connection holding an empty ``clock_check`` table, on each backend."""
    if request.param == "sqlite":
        engine: Engine = make_engine(f"sqlite:///{tmp_path / 'clock.db'}")
        try:
            with engine.begin() as connection:
                _table().create(connection)
                yield connection
        finally:
            engine.dispose()
        return
    configured: Engine = request.getfixturevalue("engine")
    if configured.dialect.name != "postgresql":
        pytest.skip("TEST_DATABASE_URL is not PostgreSQL")
    connection = request.getfixturevalue("connection")  # rolled back afterwards, table too
    # Not UTC, so results come back in another zone unless the type converts them.
    connection.exec_driver_sql("SET LOCAL TIME ZONE 'America/New_York'")
    _table().create(connection)
    yield connection


def _store(conn: Connection, at: datetime | None) -> datetime | None:
    table = _table()
    row_id = conn.execute(insert(table).values(at=at).returning(table.c.id)).scalar_one()
    return conn.execute(select(table.c.at).where(table.c.id == row_id)).scalar_one()


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_database_type_is_unchanged() -> None:
    assert isinstance(UTCDateTime().impl, DateTime) and UTCDateTime().impl.timezone


def test_every_timestamp_column_is_utc_datetime() -> None:
    plain = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, DateTime)  # a TypeDecorator is not a DateTime
    ]
    assert plain == []


def test_utc_round_trip(conn: Connection) -> None:
    back = _store(conn, MOMENT)
    assert back == MOMENT
    assert back.tzinfo is UTC and back.utcoffset() == timedelta(0)


def test_other_zones_are_stored_as_the_same_instant(conn: Connection) -> None:
    local = MOMENT.astimezone(CENTRE)
    back = _store(conn, local)
    assert back == MOMENT and back.tzinfo is UTC
    assert back.hour == 2  # not the centre's 10 o'clock taken for UTC
    fixed = _store(conn, datetime(2026, 11, 23, 1, 0, tzinfo=timezone(timedelta(hours=-1))))
    assert fixed == MOMENT.replace(microsecond=0) and fixed.tzinfo is UTC


def test_none_round_trip(conn: Connection) -> None:
    assert _store(conn, None) is None


def test_naive_values_are_refused(conn: Connection) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        _store(conn, datetime(2026, 11, 23, 2, 0))
    with pytest.raises(StatementError, match="not str"):
        _store(conn, "2026-11-23 02:00:00")  # type: ignore[arg-type]


def test_comparisons_and_aggregates_are_in_utc(conn: Connection) -> None:
    table = _table()
    _store(conn, MOMENT)
    _store(conn, MOMENT + timedelta(hours=1))
    # A centre-local bound parameter compares as the instant it is (SQLite compares text).
    just_before = (MOMENT - timedelta(minutes=1)).astimezone(CENTRE)
    later = conn.execute(select(func.count()).where(table.c.at > just_before)).scalar_one()
    assert later == 2
    earliest = conn.execute(select(func.min(table.c.at))).scalar_one()
    assert earliest == MOMENT and earliest.tzinfo is UTC


def test_result_values_are_normalised_without_a_database() -> None:
    column_type = UTCDateTime()
    naive = column_type.process_result_value(datetime(2026, 11, 23, 2, 0), None)
    assert naive == datetime(2026, 11, 23, 2, 0, tzinfo=UTC) and naive.tzinfo is UTC
    local = column_type.process_result_value(datetime(2026, 11, 23, 10, 0, tzinfo=CENTRE), None)
    assert local == naive and local.tzinfo is UTC
