"""The 12333 menu walked end to end as Twilio would, in and out of staffed hours."""

from __future__ import annotations

import pytest

from tests.harness import TELEPHONY

# run again on SQLite by scripts/test; walked as Twilio and as Somleng would
pytestmark = [pytest.mark.sqlite, pytest.mark.parametrize("telephony", TELEPHONY)]

WELCOME = "您好，欢迎拨打吉林省12333劳动保障电话咨询服务热线"
MAIN_MENU = (
    "语音服务请按1，录音留言请按2，索取传真请按3，个人账户查询请按4，投诉举报请按5，"
    "上级或异地服务请按9，转人工服务请按0。"
)
REDUCED_MENU = "语音服务请按1，录音留言请按2，索取传真请按3，个人账户查询请按4"
CLOSED = "现在是自动服务时间，人工服务时间为：夏季8:00至18:00，冬季8:00至17:00"
INVALID = "选择错误，请重新输入"
CONTINUE = "是否需要继续服务？继续服务请按1，结束通话请按2。"
GOODBYE = "感谢您的来电，再见。"
INFO_MENU_START = "养老保险请按1"
CHANGCHUN_CHOICE = "省级咨询服务请按1、长春市咨询服务请按2"


def test_in_hours_caller_hears_welcome_and_full_menu(phone, at):
    at(2026, 11, 23, 10, 0)  # a Monday in winter
    call = phone.call([])
    assert call.heard == [WELCOME, MAIN_MENU]
    assert call.ended_by == "caller hung up"


def test_prompts_are_spoken_in_mandarin_voice(phone, at):
    at(2026, 11, 23, 10, 0)
    say = phone.call([]).verbs("say")[0]
    assert say.attrs == {"language": "cmn-CN", "voice": "Polly.Zhiyu"}


def test_out_of_hours_announces_hours_then_reduced_menu(phone, at):
    at(2026, 11, 23, 17, 30)  # winter closes at 17:00
    call = phone.call([])
    assert call.heard == [WELCOME, CLOSED, REDUCED_MENU]


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ((2026, 7, 15, 17, 30), True),  # summer: open until 18:00
        ((2026, 7, 15, 18, 0), False),
        ((2026, 11, 23, 16, 59), True),  # winter: open until 17:00
        ((2026, 11, 23, 7, 59), False),
        ((2026, 11, 28, 10, 0), False),  # Saturday
        ((2026, 10, 10, 10, 0), True),  # Saturday, but a make-up working day
        ((2026, 10, 1, 10, 0), False),  # National Day holiday (a Thursday)
    ],
)
def test_staffed_hours_follow_seasons_weekdays_and_holidays(phone, at, moment, open_):
    at(*moment)
    heard = phone.call([]).heard
    assert (MAIN_MENU in heard) is open_
    assert (CLOSED in heard) is not open_


@pytest.mark.parametrize("key", ["5", "9", "0"])
def test_staffed_only_options_are_invalid_out_of_hours(phone, at, key):
    at(2026, 11, 23, 20, 0)
    call = phone.call([key])
    assert call.heard[-2:] == [INVALID, REDUCED_MENU]
    assert not call.verbs("dial") and not call.verbs("enqueue")


@pytest.mark.parametrize("key", ["6", "7", "8", "#", "*"])
def test_other_keys_replay_the_menu(phone, at, key):
    at(2026, 11, 23, 10, 0)
    call = phone.call([key])
    expected = [MAIN_MENU] if key == "*" else [INVALID, MAIN_MENU]
    assert call.heard[-len(expected) :] == expected


def test_silence_replays_politely_then_says_goodbye_after_three_rounds(phone, at):
    at(2026, 11, 23, 10, 0)
    call = phone.call(["-", "-", "-"])
    assert call.heard == [
        WELCOME,
        MAIN_MENU,
        "对不起，没有收到您的按键。",
        MAIN_MENU,
        "对不起，没有收到您的按键。",
        MAIN_MENU,
        "对不起，没有收到您的按键。欢迎您再次使用“12333”热线服务，谢谢。",
    ]
    assert call.ended_by == "server hung up"


def test_voice_information_topics_repeat_and_star_goes_back(phone, at):
    at(2026, 11, 23, 10, 0)
    call = phone.call(["1", "1", "1", "*", "*"])
    heard = call.heard
    assert heard[2].startswith(INFO_MENU_START)
    assert heard[3].startswith("养老保险：") and heard[4].startswith("重听请按1")
    assert heard[5].startswith("养老保险：")  # 1 repeats the topic
    assert heard[7].startswith(INFO_MENU_START)  # * back to the topics
    assert heard[8] == MAIN_MENU  # * back to the main menu


@pytest.mark.parametrize(
    ("key", "start"), [("2", "医疗保险："), ("6", "劳动合同："), ("8", "社会保障卡：")]
)
def test_every_topic_is_reachable(phone, at, key, start):
    at(2026, 11, 23, 10, 0)
    assert phone.call(["1", key]).heard[3].startswith(start)


def test_after_a_topic_caller_continues_or_hangs_up(phone, at):
    at(2026, 11, 23, 10, 0)
    call = phone.call(["1", "3", "2", "1", "2", "2"])
    heard = call.heard
    assert heard[5] == CONTINUE
    assert heard[6] == MAIN_MENU  # 1: another service
    assert heard[-2:] == [CONTINUE, GOODBYE]
    assert call.ended_by == "server hung up"


def test_continue_out_of_hours_returns_to_reduced_menu(phone, at):
    at(2026, 11, 23, 22, 0)
    heard = phone.call(["1", "4", "2", "1"]).heard
    assert heard[-2:] == [CONTINUE, REDUCED_MENU]


@pytest.mark.parametrize(
    ("key", "start"), [("3", "请选择您需要的传真文件"), ("4", "请输入您的个人编号")]
)
def test_fax_and_account_services_start_and_star_returns_to_the_menu(phone, at, key, start):
    at(2026, 11, 23, 10, 0)  # details: tests/fax, tests/accounts
    heard = phone.call([key, "*#"]).heard
    assert heard[2].startswith(start)
    assert heard[3] == MAIN_MENU


def test_complaints_put_the_caller_through_to_the_duty_team_leader(phone, at):
    at(2026, 11, 23, 10, 0)
    call = phone.call(["5"])
    assert call.heard[2:] == ["请稍等，我将您的电话转给值班班长。", "感谢您的来电，再见。"]
    assert [d.text for d in call.verbs("dial")] == ["+8643112300"]  # tests/complaints: the rest


def test_english_number_speaks_english(client, at, telephony):
    from ivr.simulator import Phone, flask_transport
    from tests.conftest import AUTH_TOKEN, PUBLIC_URL

    at(2026, 11, 23, 10, 0)
    transport = flask_transport(client, PUBLIC_URL)
    phone = Phone(transport, PUBLIC_URL, AUTH_TOKEN, called="+8643112334", telephony=telephony)
    call = phone.call([])
    assert call.heard[0].startswith("Hello, and welcome to the Jilin Province 12333")
    assert call.verbs("say")[0].attrs == {"language": "en-US", "voice": "Polly.Joanna"}
