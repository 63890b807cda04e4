"""Webhooks answer with exactly the TwiML text the twilio library would write."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml import GenericNode
from twilio.twiml.voice_response import VoiceResponse

from ivr.voice.twiml_text import to_xml

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["养老保险请按1，返回请按星号键。", 'a "quoted" <tag> & more', "line\r\nnext\ttab", ""]
)
VALUE = TEXT | st.booleans() | st.integers() | st.none()
NAMES = st.sampled_from(["Say", "Gather", "Dial", "Number", "Hangup", "Play", "Redirect"])
ATTRIBUTES = st.dictionaries(st.sampled_from(["action", "timeout", "numDigits", "language"]), VALUE)


def node(children: st.SearchStrategy) -> st.SearchStrategy:
    @st.composite
    def build(draw) -> GenericNode:
        element = GenericNode(draw(NAMES), draw(TEXT | st.none()), **draw(ATTRIBUTES))
        for verb in draw(st.lists(children | TEXT, max_size=4)):
            element.nest(verb)
        return element

    return build()


DOCUMENTS = st.recursive(node(st.nothing()), node, max_leaves=12)


@settings(max_examples=300)
@given(DOCUMENTS)
def test_any_document_is_written_as_twilio_writes_it(document):
    ours = to_xml(document)
    assert ours == document.to_xml()


def test_a_menu_as_the_flows_build_it():
    response = VoiceResponse()
    gather = response.gather(
        action="https://ivr.example/voice/input/main_menu?stack=&n=1&t=0",
        method="POST",
        num_digits=1,
        timeout=6,
        finish_on_key="",
        action_on_empty_result=False,
    )
    gather.say("欢迎致电12333。", language="cmn-CN", voice="Polly.Zhiyu")
    gather.play("https://ivr.example/audio/beep.wav")
    response.record(max_length=120, play_beep=True, trim="trim-silence")
    dial = response.dial(record="record-from-answer-dual", timeout=20)
    dial.number("+8643188881234")
    dial.sip("sip:agent@pbx.example")
    response.enqueue("changchun", wait_url="https://ivr.example/voice/input/q?a=1&b=2")
    response.leave()
    response.hangup()
    assert to_xml(response) == str(response)
