"""Option 9 (area code) and option 0 (the caller's own centre)."""

from __future__ import annotations

import pytest

from ivr.simulator import Phone, flask_transport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test

CONTINUE = "是否需要继续服务？继续服务请按1，结束通话请按2。"
MAIN_MENU_START = "语音服务请按1"


@pytest.fixture(autouse=True)
def office_hours(at):
    at(2026, 11, 23, 10, 0)


def caller(client, number: str, **kwargs) -> Phone:
    return Phone(
        flask_transport(client, PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN, caller=number, **kwargs
    )


@pytest.mark.parametrize(
    ("keys", "number", "centre"),
    [
        ("0431#", "+8643188912333", "长春市"),
        ("0439#", "+8643932212333", "白山市"),
        ("433#", "+8643328512333", "延边州"),
    ],
)
def test_area_code_connects_to_that_centre(phone, keys, number, centre):
    call = phone.call(["9", keys])
    assert call.heard[-2:] == [f"请稍等，正在为您转接{centre}。", "感谢您的来电，再见。"]
    assert [d.text for d in call.verbs("dial")] == [number]
    assert call.ended_by == "server hung up"


def test_unknown_area_code_is_asked_again_then_back_to_menu(phone):
    call = phone.call(["9", "0999#", "1234#"])
    heard = call.heard
    assert heard.count("对不起，没有找到该区号。") == 2
    assert heard[-1].startswith(MAIN_MENU_START)
    assert not call.verbs("dial")


def test_zero_is_not_a_code_the_hotline_is_the_provincial_centre(phone):
    """0# once dialled the provincial centre: this hotline's own number, calling itself."""
    call = phone.call(["9", "0#", "0431#"])
    assert call.heard[-4:] == [
        "对不起，没有找到该区号。",
        "请输入您要联系地区的区号，以井号键结束。例如长春请按0431井号。返回上一级菜单请按星号键。",
        "请稍等，正在为您转接长春市。",
        "感谢您的来电，再见。",
    ]
    assert [d.text for d in call.verbs("dial")] == ["+8643188912333"]
    again = phone.call(["9", "0#", "0#"])
    assert again.heard.count("对不起，没有找到该区号。") == 2
    assert again.heard[-1].startswith(MAIN_MENU_START)
    assert not again.verbs("dial")


def test_star_leaves_area_code_entry(phone):
    call = phone.call(["9", "*"])
    assert call.heard[-1].startswith(MAIN_MENU_START)


def test_busy_centre_apologises_and_offers_more_service(client):
    call = caller(client, "+8643262012345", dial_status="busy").call(["9", "0432#"])
    assert call.heard[-2:] == ["对不起，座席繁忙或暂时无法接通。", CONTINUE]


@pytest.mark.parametrize(
    ("number", "queue", "name"),
    [
        ("+8643262012345", "jilin", "吉林市"),  # Jilin City landline
        ("043532112345", "tonghua", "通化市"),  # domestic format with trunk 0
        ("+8613904331234", "yanbian", "延边州"),  # mobile block 1390433
        ("+12125551234", "provincial", "吉林省12333咨询服务中心"),  # not from the province
        ("anonymous", "provincial", "吉林省12333咨询服务中心"),
    ],
)
def test_agent_call_goes_to_callers_own_centre(client, number, queue, name):
    call = caller(client, number).call(["0"])
    heard = call.heard
    connecting = heard.index(f"请稍等，正在为您转接{name}人工服务。")
    assert heard[connecting + 1] == "座席正忙，您当前排在第1位，请耐心等候。"  # no agent here
    assert [q.text for q in call.verbs("enqueue")] == [queue]
    assert call.ended_by == "caller hung up in queue"


@pytest.mark.parametrize(("key", "queue"), [("1", "provincial"), ("2", "changchun")])
def test_changchun_callers_choose_provincial_or_city(client, key, queue):
    call = caller(client, "+8643188881234").call(["0", key])
    assert "省级咨询服务请按1、长春市咨询服务请按2" in call.heard
    assert [q.text for q in call.verbs("enqueue")] == [queue]


def test_changchun_choice_rejects_other_keys_and_star_goes_back(client):
    call = caller(client, "+8613904311234").call(["0", "3", "*"])
    heard = call.heard
    assert heard[-3:-1] == ["选择错误，请重新输入", "省级咨询服务请按1、长春市咨询服务请按2"]
    assert heard[-1].startswith(MAIN_MENU_START)


@pytest.mark.parametrize(
    ("key", "then"),
    [
        ("1", "请在提示音后留言，请说明您的姓名、联系电话和咨询的问题，录音结束请按井号键。"),
        (
            "2",
            "语音服务请按1，录音留言请按2，索取传真请按3，个人账户查询请按4，投诉举报请按5，上级或异地服务请按9，转人工服务请按0。",
        ),
    ],
)
def test_no_agent_answers_caller_is_offered_a_message_or_the_menu(client, key, then):
    """Queueing and overflow in detail: tests/agents/test_agent_calls.py."""
    call = caller(client, "+8643262012345", queue_failure="error").call(["0", key])
    heard = call.heard
    start = heard.index("对不起，座席繁忙或暂时无法接通。")
    assert heard[start + 1 :][:2] == ["录音留言请按1，返回主菜单请按2。", then]
