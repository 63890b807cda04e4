"""The embedded job queue's table (``ivr.jobs.embedded``): one row per job waiting,
running or given up on.

Times are Unix seconds by the database's clock (see ``embedded.db_now``): every
process on the database agrees on it, as leases need. ``again_at`` is set when
the job is queued again while it runs (new work committed after it started): it
runs once more, at that time, when this run ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Double, Index, Integer, String, Text, text
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from ivr.db import Base

STATUSES = ("queued", "running", "failed")  # a job that succeeds is deleted
ACTIVE = "status IN ('queued', 'running')"  # at most one such row per job key


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_key: Mapped[str] = mapped_column(String(255))
    task: Mapped[str] = mapped_column(String(100))
    queue: Mapped[str] = mapped_column(String(32))
    args: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    run_at: Mapped[float] = mapped_column(Double)  # queued: not before this
    lease_until: Mapped[float | None] = mapped_column(Double)  # running: presumed dead after
    claim: Mapped[str | None] = mapped_column(String(32))  # the current run's token
    worker: Mapped[str] = mapped_column(String(200), default="")  # host:pid of the last run
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    again_at: Mapped[float | None] = mapped_column(Double)
    error: Mapped[str] = mapped_column(Text, default="")  # the last failure
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float | None] = mapped_column(Double)  # failed: deleted after

    __table_args__ = (
        Index("ix_jobs_status_run_at", "status", "run_at"),
        Index(
            "uq_jobs_job_key_active",
            "job_key",
            unique=True,
            postgresql_where=text(ACTIVE),
            sqlite_where=text(ACTIVE),
        ),
    )


class db_now(FunctionElement):  # noqa: N801 - used like a SQL function
    """Now, in Unix seconds, by the database's clock.

    One clock for every process on the database (a lease is written by one
    process and judged by another), and not Python's, which tests freeze.
    """

    type = Double()
    inherit_cache = True


@compiles(db_now)
def _db_now(element: db_now, compiler: Any, **kw: Any) -> str:
    raise CompileError(f"the job queue needs PostgreSQL or SQLite, not {compiler.dialect.name}")


@compiles(db_now, "postgresql")
def _db_now_postgresql(element: db_now, compiler: Any, **kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"


@compiles(db_now, "sqlite")
def _db_now_sqlite(element: db_now, compiler: Any, **kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"
