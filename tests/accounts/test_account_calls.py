"""Option 4 end to end: signed webhooks walked as Twilio would, on the real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ivr.accounts.models import PersonalAccount
from ivr.simulator import Phone, flask_transport
from tests.accounts.conftest import NUMBER, PASSWORD, WRONG, call_events, stored_text
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, TELEPHONY

# run again on SQLite by scripts/test; walked as Twilio and as Somleng would
pytestmark = [pytest.mark.sqlite, pytest.mark.parametrize("telephony", TELEPHONY)]

MAIN_MENU = (
    "语音服务请按1，录音留言请按2，索取传真请按3，个人账户查询请按4，投诉举报请按5，"
    "上级或异地服务请按9，转人工服务请按0。"
)
ASK_NUMBER = "请输入您的个人编号，以井号键结束。返回上一级菜单请按星号键。"
ASK_PASSWORD = "您输入的个人编号尾号为幺二三四。请输入六位查询密码。"
VERIFIED = "个人编号尾号幺二三四，参保人姓张，请核对姓名。请稍等。"
BALANCE = (
    "您的养老保险个人账户余额为一万二千三百四十五元六角七分，累计缴费一百二十三个月，"
    "最后缴费年月为二零二六年十月。医疗保险个人账户余额为二千三百四十五元六角。"
)
WRONG_PROMPT = "对不起，个人编号或密码不正确，请重新输入。"
INVALID = "对不起，个人编号输入有误。"
FAILED = "对不起，查询未成功。您可以在人工服务时间转人工服务查询。"
CONTINUE = "是否需要继续服务？继续服务请按1，结束通话请按2。"
GOODBYE = "感谢您的来电，再见。"


def locked(minutes: str) -> str:
    return (
        "对不起，该账户的查询密码已连续输错三次，电话查询已暂停，"
        f"请{minutes}后再拨，或在人工服务时间转人工服务。"
    )


def failures(db_session) -> tuple[int, datetime | None]:
    account = db_session.scalars(
        select(PersonalAccount).where(PersonalAccount.personal_number == NUMBER)
    ).one()
    db_session.refresh(account)
    until = account.locked_until
    return account.failed_attempts, until.replace(tzinfo=until.tzinfo or UTC) if until else None


def test_a_correct_lookup_reads_back_the_number_and_name_then_the_account(phone, account, at):
    at(2026, 11, 23, 10, 0)
    call = phone.call(["4", f"{NUMBER}#", PASSWORD, "2"])
    assert call.heard[1:] == [
        MAIN_MENU,
        ASK_NUMBER,
        ASK_PASSWORD,
        VERIFIED,
        BALANCE,
        CONTINUE,
        GOODBYE,
    ]
    number_gather, password_gather = call.verbs("gather")[1:3]
    assert number_gather.attrs["finishOnKey"] == "#" and "numDigits" not in number_gather.attrs
    assert password_gather.attrs["numDigits"] == "6"


def test_english_line_speaks_amounts_and_months_in_english(client, account, at, telephony):
    at(2026, 11, 23, 10, 0)
    transport = flask_transport(client, PUBLIC_URL)
    phone = Phone(transport, PUBLIC_URL, AUTH_TOKEN, called="+8643112334", telephony=telephony)
    heard = phone.call(["4", f"{NUMBER}#", PASSWORD]).heard
    assert heard[3:6] == [
        "You entered a personal number ending in one two three four. "
        "Please enter your six-digit password.",
        "Personal number ending in one two three four, the account holder, surname Zhang. "
        "Please check the name. One moment, please.",
        "Your pension account balance is 12,345 yuan 67 fen. You have contributed for "
        "123 months, most recently in October 2026. Your medical account balance is "
        "2,345 yuan 60 fen.",
    ]


def test_an_account_without_contributions_and_a_compound_surname(phone, make_account, at):
    at(2026, 11, 23, 10, 0)
    make_account(
        "220104199212120016",
        "802468",
        name="欧阳明",
        pension_balance_fen=0,
        months_contributed=0,
        last_contribution=None,
        medical_balance_fen=7,
    )
    heard = phone.call(["4", "220104199212120016#", "802468"]).heard
    assert heard[4] == "个人编号尾号零零幺六，参保人姓欧阳，请核对姓名。请稍等。"
    assert heard[5] == (
        "您的养老保险个人账户余额为零元，累计缴费零个月，最后缴费年月为无。"
        "医疗保险个人账户余额为七分。"
    )


def test_three_wrong_passwords_lock_the_account_and_the_caller_is_told(
    phone, account, db_session, at
):
    at(2026, 11, 23, 10, 0)
    call = phone.call(["4", f"{NUMBER}#", WRONG, f"{NUMBER}#", WRONG, f"{NUMBER}#", WRONG])
    assert call.heard[2:] == [
        ASK_NUMBER,
        ASK_PASSWORD,
        WRONG_PROMPT,
        ASK_NUMBER,
        ASK_PASSWORD,
        WRONG_PROMPT,
        ASK_NUMBER,
        ASK_PASSWORD,
        locked("三十分钟"),
        CONTINUE,
    ]
    count, until = failures(db_session)
    assert count == 0 and until == datetime(2026, 11, 23, 2, 30, tzinfo=UTC)  # 10:30 centre time

    # A new call, now with the right password: still locked, and told how long.
    at(2026, 11, 23, 10, 12)
    heard = phone.call(["4", f"{NUMBER}#", PASSWORD]).heard
    assert heard[-2:] == [locked("十八分钟"), CONTINUE]
    assert VERIFIED not in heard

    # Thirty minutes on, the right password opens it.
    at(2026, 11, 23, 10, 31)
    heard = phone.call(["4", f"{NUMBER}#", PASSWORD]).heard
    assert heard[-3:] == [VERIFIED, BALANCE, CONTINUE]
    assert failures(db_session) == (0, None)


def test_wrong_passwords_count_across_calls(phone, account, db_session, at):
    at(2026, 11, 23, 10, 0)
    phone.call(["4", f"{NUMBER}#", WRONG, f"{NUMBER}#", WRONG])  # then hangs up
    assert failures(db_session) == (2, None)
    heard = phone.call(["4", f"{NUMBER}#", WRONG]).heard  # redialled: the third locks
    assert heard[-2:] == [locked("三十分钟"), CONTINUE]
    assert failures(db_session)[1] is not None


def test_a_right_password_clears_earlier_failures(phone, account, db_session, at):
    at(2026, 11, 23, 10, 0)
    heard = phone.call(["4", f"{NUMBER}#", WRONG, f"{NUMBER}#", PASSWORD]).heard
    assert heard[-3:] == [VERIFIED, BALANCE, CONTINUE]
    assert failures(db_session) == (0, None)


def test_unknown_numbers_sound_like_wrong_passwords_and_end_after_three(phone, account, at):
    at(2026, 11, 23, 10, 0)
    unknown = "220199000000000000"
    call = phone.call(["4", f"{unknown}#", PASSWORD, f"{unknown}#", PASSWORD, f"{unknown}#", "1"])
    ask_unknown = "您输入的个人编号尾号为零零零零。请输入六位查询密码。"
    assert call.heard[2:] == [
        ASK_NUMBER,
        ask_unknown,
        WRONG_PROMPT,
        ASK_NUMBER,
        ask_unknown,
        WRONG_PROMPT,
        ASK_NUMBER,
        ask_unknown,
        WRONG_PROMPT,
        FAILED,
        CONTINUE,
    ]


def test_a_malformed_personal_number_is_asked_again(phone, account, at):
    at(2026, 11, 23, 10, 0)
    heard = phone.call(["4", "12#", f"{NUMBER}#", PASSWORD]).heard
    assert heard[2:6] == [ASK_NUMBER, INVALID, ASK_NUMBER, ASK_PASSWORD]
    assert heard[6:8] == [VERIFIED, BALANCE]


def test_star_goes_back_to_the_menu_from_either_entry(phone, account, at):
    at(2026, 11, 23, 10, 0)
    assert phone.call(["4", "*#"]).heard[2:] == [ASK_NUMBER, MAIN_MENU]
    assert phone.call(["4", f"{NUMBER}#", "*"]).heard[2:] == [ASK_NUMBER, ASK_PASSWORD, MAIN_MENU]


def test_silence_asks_again(phone, account, at):
    at(2026, 11, 23, 10, 0)
    heard = phone.call(["4", "-", f"{NUMBER}#", PASSWORD]).heard
    assert heard[2:5] == [ASK_NUMBER, "对不起，没有收到您的按键。", ASK_NUMBER]
    assert heard[-2:] == [BALANCE, CONTINUE]


def test_personal_number_and_passwords_are_never_stored_logged_or_in_urls(
    app, phone, account, db_session, at, log_lines
):
    at(2026, 11, 23, 10, 0)
    app.logger.warning("log capture probe")
    calls = [
        phone.call(["4", f"{NUMBER}#", WRONG, f"{NUMBER}#", PASSWORD, "2"]),
        phone.call(["4", "220199000000000000#", WRONG]),
    ]
    secrets = (NUMBER, PASSWORD, WRONG, "220199000000000000")
    stored = stored_text(db_session)
    for secret in secrets:
        assert secret not in stored
    for call in calls:
        for url, _params in call.requests:
            assert not any(secret in url for secret in secrets)
        keyed = [e for e in call_events(db_session, call.sid) if e.node == "account"]
        assert {e.digits for e in keyed if e.kind == "digits"} == {"***"}
        assert all(e.digits in ("", "***") for e in keyed)
    assert "log capture probe" in log_lines  # the app's log lines are what is searched
    for secret in secrets:
        assert not any(secret in line for line in log_lines)


def test_with_the_database_down_the_caller_is_told_and_offered_more_service(
    tmp_path, at, telephony
):
    from ivr.app import create_app
    from ivr.settings import load_settings
    from tests.conftest import app_environ

    at(2026, 11, 23, 10, 0)
    down = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1"
    environ = app_environ(down, tmp_path, IVR_TELEPHONY=telephony)
    app = create_app({"SETTINGS": load_settings(environ)})
    transport = flask_transport(app.test_client(), PUBLIC_URL)
    phone = Phone(transport, PUBLIC_URL, AUTH_TOKEN, telephony=telephony)
    heard = phone.call(["4", f"{NUMBER}#"]).heard
    assert heard[-3:] == [ASK_NUMBER, "对不起，系统暂时无法提供此项服务，请稍后再拨。", CONTINUE]
