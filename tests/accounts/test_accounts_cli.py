"""``ivr accounts add | import | demo | unlock``."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from ivr import db
from ivr.accounts.cli import COLUMNS, DEMO
from ivr.accounts.models import PersonalAccount

HEADER = ",".join(COLUMNS)


def accounts(app: Flask) -> dict[str, PersonalAccount]:
    with app.app_context():
        rows = db.session().scalars(select(PersonalAccount)).all()
        return {a.personal_number: a for a in rows}


def write(tmp_path: Path, *lines: str, name: str = "accounts.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_add_asks_for_the_password_twice_and_hides_it(app, runner):
    result = runner.invoke(
        args=[
            "accounts",
            "add",
            "--number",
            "220102198001011234",
            "--name",
            "张伟",
            "--pension",
            "12345.67",
            "--months",
            "123",
            "--last-month",
            "2026-10",
            "--medical",
            "2345.6",
        ],
        input="135790\n135790\n",
    )
    assert result.exit_code == 0, result.output
    assert "added account **************1234" in result.output
    assert "135790" not in result.output
    account = accounts(app)["220102198001011234"]
    assert (account.name, account.pension_balance_fen, account.medical_balance_fen) == (
        "张伟",
        1_234_567,
        234_560,
    )
    assert account.months_contributed == 123 and account.last_contribution == date(2026, 10, 1)
    assert account.check_password("135790") and account.password_hash != "135790"


def test_add_refuses_bad_values(app, runner):
    base = ["accounts", "add", "--number", "220102198001011234", "--name", "张伟"]
    short = runner.invoke(args=base, input="1234\n1234\n")
    assert short.exit_code == 1 and "six digits" in short.output
    money = runner.invoke(args=[*base, "--pension", "12.345"], input="135790\n135790\n")
    assert money.exit_code == 1 and "two decimals" in money.output
    month = runner.invoke(args=[*base, "--last-month", "2026-13"], input="135790\n135790\n")
    assert month.exit_code == 1 and "2026-10" in month.output
    number = runner.invoke(
        args=["accounts", "add", "--number", "12ab", "--name", "x"], input="135790\n135790\n"
    )
    assert number.exit_code == 1 and "personal_number" in number.output
    assert accounts(app) == {}


def test_import_creates_and_updates_accounts(app, runner, tmp_path):
    first = write(
        tmp_path,
        HEADER,
        "220102198001011234,张伟,135790,12345.67,123,2026-10,2345.60",
        "220202197503154321,李秀英,246802,0,0,,0",
    )
    result = runner.invoke(args=["accounts", "import", str(first)])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated" in result.output

    # Same number again with new balances and no password: updated, password kept.
    second = write(
        tmp_path,
        HEADER,
        "220102198001011234,张伟,,20000,130,2027-05,3000",
        name="update.csv",
    )
    result = runner.invoke(args=["accounts", "import", str(second)])
    assert result.exit_code == 0, result.output
    assert "0 added, 1 updated" in result.output
    account = accounts(app)["220102198001011234"]
    assert account.pension_balance_fen == 2_000_000 and account.months_contributed == 130
    assert account.last_contribution == date(2027, 5, 1)
    assert account.check_password("135790")
    assert accounts(app)["220202197503154321"].last_contribution is None


def test_import_names_the_bad_line_and_writes_nothing(app, runner, tmp_path):
    path = write(
        tmp_path,
        HEADER,
        "220102198001011234,张伟,135790,12345.67,123,2026-10,2345.60",
        "220202197503154321,李秀英,24680,0,0,,0",
    )
    result = runner.invoke(args=["accounts", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3: password: exactly six digits; nothing imported" in result.output
    assert accounts(app) == {}

    missing = write(tmp_path, "personal_number,name", "220102198001011234,张伟", name="m.csv")
    result = runner.invoke(args=["accounts", "import", str(missing)])
    assert result.exit_code == 1 and f"{missing}:1: missing column(s) password" in result.output

    new_without_password = write(tmp_path, HEADER, "220102198001011234,张伟,,1,1,,1", name="n.csv")
    result = runner.invoke(args=["accounts", "import", str(new_without_password)])
    assert result.exit_code == 1 and ":2: password: required for a new account" in result.output


def test_demo_prints_passwords_once_and_they_work(app, runner):
    first = runner.invoke(args=["accounts", "demo"])
    assert first.exit_code == 0, first.output
    passwords = dict(re.findall(r"demo account (\d+) \S+: password (\d{6})", first.output))
    assert set(passwords) == {number for number, *_ in DEMO}
    stored = accounts(app)
    for number, password in passwords.items():
        assert stored[number].check_password(password)

    again = runner.invoke(args=["accounts", "demo"])
    assert again.exit_code == 0
    assert "password " not in again.output.replace("(password unchanged)", "")
    assert again.output.count("exists (password unchanged)") == len(DEMO)


def test_unlock_clears_the_lock_of_a_known_or_an_unknown_number(phone, runner, make_account, at):
    from tests.accounts.conftest import NUMBER, PASSWORD, WRONG

    unknown = "220199000000001234"
    make_account()
    at(2026, 11, 23, 10, 0)
    for number in (NUMBER, unknown):
        phone.call(["4", f"{number}#", WRONG, f"{number}#", WRONG, f"{number}#", WRONG])
        result = runner.invoke(args=["accounts", "unlock", number])
        assert result.exit_code == 0 and "unlocked" in result.output
        assert number not in result.output
    heard = phone.call(["4", f"{NUMBER}#", PASSWORD]).heard
    assert heard[-2].startswith("您的养老保险个人账户余额为")  # open again at once
    heard = phone.call(["4", f"{unknown}#", WRONG]).heard
    assert heard[-2] == "对不起，个人编号或密码不正确，请重新输入。"  # counting from zero again

    never_keyed = runner.invoke(args=["accounts", "unlock", "999999999"])
    assert never_keyed.exit_code == 1 and "nothing to unlock" in never_keyed.output
