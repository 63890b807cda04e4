from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ivr.accounts.surnames import surname_of
from ivr.clock import UTCDateTime, utcnow
from ivr.db import Base


class PersonalAccount(Base):
    """An insured person's account as the phone lookup reads it (option 4).

    Amounts are whole fen (分). Wrong passwords are counted in :class:`LookupLock`.
    """

    __tablename__ = "personal_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    personal_number: Mapped[str] = mapped_column(String(32), unique=True)  # 个人编号
    name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    pension_balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    months_contributed: Mapped[int] = mapped_column(Integer, default=0)
    last_contribution: Mapped[date | None] = mapped_column(Date)  # first day of that month
    medical_balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def surname(self) -> str:
        return surname_of(self.name)

    @property
    def masked_number(self) -> str:
        return mask_personal_number(self.personal_number)


class LookupLock(Base):
    """Wrong passwords keyed after one personal number, whether an account has it or not.

    ``key`` is HMAC-SHA256(SECRET_KEY, personal number) in hex: the number is
    never stored, and an unknown number counts and locks exactly as a known
    one, so a caller cannot tell which numbers exist. ``account_id`` is the
    account with that number when the number was last keyed (None: unknown).
    """

    __tablename__ = "account_lookup_locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("personal_accounts.id", ondelete="SET NULL")
    )
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


def mask_personal_number(number: str) -> str:
    """Only the last four digits are ever shown or spoken."""
    return "*" * max(len(number) - 4, 0) + number[-4:]
