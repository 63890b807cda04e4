"""Speech at the menus, routed through the webhooks with results put in the store by hand.

The media process (tests/speechnav/test_media.py) fills the store for real; here the
results are constructed, to walk every branch: confirm, act at once above the
menu's confidence, ask again, keys, silence, and no result at all.
"""

from __future__ import annotations

import pytest

from ivr.speechnav import tokens
from tests.harness import PUBLIC_URL
from tests.speechnav.helpers import (
    copy_flows,
    media_up,
    nonce_of,
    phone_for,
    post,
    rolled_back_app,
    said,
    stream_of,
)

SID = "CA" + "1" * 32
INCOMING = f"{PUBLIC_URL}/voice/incoming"
SPEECH_LINE = "您也可以直接说出您要办理的业务，例如'个人账户'或'人工服务'。"


@pytest.fixture(autouse=True)
def office_hours(at):
    at(2026, 11, 23, 10)  # a Monday: the main menu


def test_without_a_media_process_the_menu_is_keys_only_as_before(app, phone):
    document = post(phone, SID, INCOMING)
    gather = document.find("Gather")
    assert gather.get("input") == "dtmf"
    assert document.find("Connect") is None
    assert SPEECH_LINE not in said(document)


def test_a_live_media_process_adds_the_spoken_line_and_a_stream(app, phone):
    media_up(app)
    document = post(phone, SID, INCOMING)
    gather = document.find("Gather")
    assert gather.get("input") is None  # keys only, on Twilio and Somleng alike
    assert gather.get("numDigits") == "1"
    assert said(gather).endswith(SPEECH_LINE)
    url, token, result = stream_of(document)
    assert url == "wss://ivr.example.test/voice/stream"
    ticket = tokens.verify("test-secret", token)
    assert (ticket.call, ticket.node, ticket.locale, ticket.attempt) == (
        SID,
        "main_menu",
        "zh-CN",
        1,
    )
    assert result.startswith(f"{PUBLIC_URL}/voice/heard/main_menu?")
    assert nonce_of(result) == ticket.nonce


def test_a_media_process_without_the_callers_locale_leaves_keys(app, phone):
    media_up(app, locales=("en-US",))
    assert post(phone, SID, INCOMING).find("Connect") is None


def heard(app, phone, text="", confidence=1.0, **result):
    """The main menu's stream ends with ``result``; the TwiML of its result URL."""
    media_up(app)
    _, token, url = stream_of(post(phone, SID, INCOMING))
    store = app.extensions["ivr.speechnav.store"]
    store.claim(nonce_of(url), SID)
    store.put(nonce_of(url), {"text": text, "confidence": confidence, "digits": "", **result})
    return post(phone, SID, url)


def test_a_recognised_phrase_is_read_back_then_keys_or_yes_act_on_it(app, phone):
    document = heard(app, phone, "人工 服务")
    assert "您要办理的是人工服务业务，确认请按1或说'是'，重新选择请按2或说'不是'。" in said(
        document
    )
    gather = document.find("Gather")
    assert "/voice/confirmed/main_menu" in gather.get("action")
    _, token, result = stream_of(document)
    assert tokens.verify("test-secret", token).kind == "confirm"
    after = post(phone, SID, gather.get("action"), Digits="1")
    assert (
        "人工" in said(after) or after.find("Enqueue") is not None or after.find("Dial") is not None
    )


def test_yes_said_at_the_read_back_acts(app, phone):
    document = heard(app, phone, "录音 留言")
    _, _, result = stream_of(document)
    store = app.extensions["ivr.speechnav.store"]
    store.claim(nonce_of(result), SID)
    store.put(nonce_of(result), {"text": "是的", "confidence": 1.0, "digits": ""})
    after = post(phone, SID, result)
    assert "请在提示音后留言" in said(after)


def test_no_at_the_read_back_asks_once_more_then_keys_only(app, phone):
    document = heard(app, phone, "传真")
    after = post(phone, SID, document.find("Gather").get("action"), Digits="2")
    assert "请您再说一遍" in said(after)
    _, token, url = stream_of(after)
    assert tokens.verify("test-secret", token).attempt == 2
    store = app.extensions["ivr.speechnav.store"]
    store.claim(nonce_of(url), SID)
    store.put(nonce_of(url), {"text": "今天 天气", "confidence": 1.0, "digits": ""})
    keys_only = post(phone, SID, url)
    assert keys_only.find("Connect") is None
    assert keys_only.find("Gather").get("input") == "dtmf"
    assert SPEECH_LINE not in said(keys_only)
    assert post(phone, SID, keys_only.find("Gather").get("action"), Digits="3") is not None


def test_no_stored_result_is_not_understood_never_a_dead_line(app, phone):
    media_up(app)
    _, _, url = stream_of(post(phone, SID, INCOMING))
    document = post(phone, SID, url)
    assert "请您再说一遍" in said(document)
    assert document.find("Connect/Stream") is not None


def test_silence_replays_the_menu_as_with_keys(app, phone):
    document = heard(app, phone, silence=True)
    assert "对不起" in said(document) or document.find("Gather") is not None
    assert "请您再说一遍" not in said(document)
    assert "/voice/heard/main_menu" in stream_of(document)[2]
    assert "t=1" in stream_of(document)[2]


def test_keys_pressed_during_the_stream_choose_as_at_the_gather(app, phone):
    document = heard(app, phone, digits="2")
    assert "请在提示音后留言" in said(document)


@pytest.mark.parametrize("confidence, read_back", [(0.95, False), (0.85, True)])
def test_a_menu_may_act_at_once_above_the_confidence_it_names(
    database_url, connection, tmp_path, confidence, read_back
):
    flows = copy_flows(
        tmp_path,
        lambda text: text.replace(
            "prompt: main_menu_speech\n      confirm: always",
            "prompt: main_menu_speech\n      confirm: {below: 0.9}",
        ),
    )
    app = rolled_back_app(database_url, connection, tmp_path, flows)
    document = heard(app, phone_for(app), "录音 留言", confidence)
    assert ("您要办理的是录音留言业务" in said(document)) is read_back
    assert ("请在提示音后留言" in said(document)) is not read_back
