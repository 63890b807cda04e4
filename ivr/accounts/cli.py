"""``ivr accounts add | import | demo | unlock``: the accounts option 4 reads, and its locks.

The CSV columns of ``ivr accounts import`` (UTF-8, header row required):

    personal_number,name,password,pension_balance,months_contributed,last_contribution,medical_balance
    220102198001011234,张伟,135790,12345.67,123,2026-10,2345.60

``password`` may be left empty for an account that exists (kept); balances
are yuan with up to two decimals; ``last_contribution`` is YYYY-MM or empty.
A row that exists (same personal number) is updated. Nothing is written
unless every row is valid; errors name the file and line.
"""

from __future__ import annotations

import csv
import re
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ivr import db
from ivr.accounts import service
from ivr.accounts.models import PersonalAccount

cli = AppGroup(
    "accounts",
    help="""Personal accounts for phone lookup (option 4).

    CSV for `ivr accounts import` (UTF-8, header row; amounts in yuan; month YYYY-MM):

    \b
    personal_number,name,password,pension_balance,months_contributed,last_contribution,medical_balance
    220102198001011234,张伟,135790,12345.67,123,2026-10,2345.60
    """,
)

COLUMNS = (
    "personal_number",
    "name",
    "password",
    "pension_balance",
    "months_contributed",
    "last_contribution",
    "medical_balance",
)


@dataclass(frozen=True)
class Row:
    personal_number: str
    name: str
    password: str
    pension_fen: int
    months: int
    last_contribution: date | None
    medical_fen: int


def parse_fen(value: str, what: str) -> int:
    """``12345.67`` yuan → 1234567 fen; at most two decimals, never negative."""
    try:
        amount = Decimal(value.strip() or "0")
    except InvalidOperation:
        raise ValueError(f"{what}: {value!r} is not an amount in yuan") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= 10**10:
        raise ValueError(f"{what}: {value!r} must be 0 or more, with at most two decimals")
    return int(amount * 100)


def parse_month(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"last_contribution: {value!r} is not a month like 2026-10")
    return date(int(match[1]), int(match[2]), 1)


def parse_row(values: dict[str, str], *, password_required: bool) -> Row:
    number = (values.get("personal_number") or "").strip()
    if not service.PERSONAL_NUMBER.fullmatch(number):
        raise ValueError("personal_number: 6 to 20 digits (callers key it on the phone)")
    name = (values.get("name") or "").strip()
    if not name or len(name) > 64:
        raise ValueError("name: required, 64 characters at most")
    password = (values.get("password") or "").strip()
    if (password or password_required) and not service.PASSWORD.fullmatch(password):
        raise ValueError("password: exactly six digits")
    months = (values.get("months_contributed") or "0").strip()
    if not months.isdigit() or int(months) > 1200:
        raise ValueError(f"months_contributed: {months!r} is not a number of months")
    return Row(
        personal_number=number,
        name=name,
        password=password,
        pension_fen=parse_fen(values.get("pension_balance") or "", "pension_balance"),
        months=int(months),
        last_contribution=parse_month(values.get("last_contribution") or ""),
        medical_fen=parse_fen(values.get("medical_balance") or "", "medical_balance"),
    )


def save_row(row: Row) -> bool:
    """Create or update the account; True when it was created."""
    session = db.session()
    account = session.scalar(
        select(PersonalAccount).where(PersonalAccount.personal_number == row.personal_number)
    )
    created = account is None
    if account is None:
        if not row.password:
            raise ValueError("password: required for a new account")
        account = PersonalAccount(personal_number=row.personal_number)
        session.add(account)
    account.name = row.name
    if row.password:
        account.set_password(row.password)
    account.pension_balance_fen = row.pension_fen
    account.months_contributed = row.months
    account.last_contribution = row.last_contribution
    account.medical_balance_fen = row.medical_fen
    return created


@cli.command("add")
@click.option("--number", "personal_number", required=True, help="个人编号 (digits).")
@click.option("--name", required=True, help="The insured person's name, e.g. 张伟.")
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Six digits."
)
@click.option("--pension", default="0", show_default=True, help="Pension account balance, yuan.")
@click.option("--months", default="0", show_default=True, help="Months contributed.")
@click.option("--last-month", default="", help="Last contribution month, YYYY-MM.")
@click.option("--medical", default="0", show_default=True, help="Medical account balance, yuan.")
def add_command(
    personal_number: str,
    name: str,
    password: str,
    pension: str,
    months: str,
    last_month: str,
    medical: str,
) -> None:
    """Add an account (or update the one with that personal number)."""
    values = dict(
        zip(
            COLUMNS,
            (personal_number, name, password, pension, months, last_month, medical),
            strict=True,
        )
    )
    try:
        row = parse_row(values, password_required=True)
        created = save_row(row)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session().commit()
    masked = PersonalAccount(personal_number=row.personal_number).masked_number
    click.echo(f"{'added' if created else 'updated'} account {masked}")


@cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(csv_file: Path) -> None:
    """Create or update accounts from a CSV file (columns: see `ivr accounts --help`)."""
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{csv_file}: not UTF-8 text") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise click.ClickException(
            f"{csv_file}:1: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"
        )
    created = updated = 0
    seen: set[str] = set()
    for values in reader:
        line = reader.line_num
        try:
            row = parse_row(values, password_required=False)
            if row.personal_number in seen:
                raise ValueError("personal_number: given twice in this file")
            seen.add(row.personal_number)
            if save_row(row):
                created += 1
            else:
                updated += 1
        except ValueError as exc:
            db.session().rollback()
            raise click.ClickException(f"{csv_file}:{line}: {exc}; nothing imported") from exc
    db.session().commit()
    click.echo(f"imported {csv_file.name}: {created} added, {updated} updated")


# Demo accounts: (personal number, name, pension fen, months, last month, medical fen).
DEMO = (
    ("220102198001011234", "张伟", 1_234_567, 123, date(2026, 10, 1), 234_560),
    ("220202197503154321", "李秀英", 8_675_309, 286, date(2026, 9, 1), 1_205_007),
    ("220104199212120016", "欧阳明", 365_000, 38, date(2026, 10, 1), 58_830),
    ("220106196505052468", "王桂兰", 0, 0, None, 0),
)


@cli.command("demo")
def demo_command() -> None:
    """Create the demo accounts if missing; their passwords are printed once, at creation."""
    session = db.session()
    for number, name, pension, months, last, medical in DEMO:
        exists = session.scalar(
            select(PersonalAccount.id).where(PersonalAccount.personal_number == number)
        )
        if exists:
            click.echo(f"demo account {number} {name}: exists (password unchanged)")
            continue
        password = f"{secrets.randbelow(10**6):06d}"
        account = PersonalAccount(
            personal_number=number,
            name=name,
            pension_balance_fen=pension,
            months_contributed=months,
            last_contribution=last,
            medical_balance_fen=medical,
        )
        account.set_password(password)
        session.add(account)
        click.echo(f"demo account {number} {name}: password {password}")
    session.commit()


@cli.command("unlock")
@click.argument("personal_number")
def unlock_command(personal_number: str) -> None:
    """Clear the wrong-password count and lock of a personal number (after checking the caller).

    Works for any number callers keyed, whether an account has it or not.
    """
    secret = current_app.config["SETTINGS"].secret_key
    if not service.unlock(db.session(), secret, personal_number.strip()):
        raise click.ClickException("nothing to unlock: no caller has keyed that personal number")
    db.session().commit()
    click.echo("unlocked")
