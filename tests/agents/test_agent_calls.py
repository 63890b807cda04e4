"""Option 0 end to end, as Twilio walks it (signed webhooks), on both presence backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr import db
from ivr.agents.models import CallRecording
from ivr.agents.presence import presence
from ivr.calls.models import Call
from tests.agents.conftest import JILIN_CALLER
from tests.conftest import PUBLIC_URL

pytestmark = pytest.mark.sqlite  # run again on SQLite by scripts/test

CONNECTING = "请稍等，正在为您转接吉林市人工服务。"
HOLD_MUSIC = "https://ivr.example.test/audio/hold_music.wav"  # the node's hold_music
GOODBYE = "感谢您的来电，再见。"
UNAVAILABLE = "对不起，座席繁忙或暂时无法接通。"
OFFER = "录音留言请按1，返回主菜单请按2。"
VOICEMAIL = "请在提示音后留言，请说明您的姓名、联系电话和咨询的问题，录音结束请按井号键。"
OTHER_CALL = "CA" + "e" * 32


def position(n: int) -> str:
    return f"座席正忙，您当前排在第{n}位，请耐心等候。"


def transfer(number: str) -> str:
    return f"请稍等，我将您的电话转接给{number}号咨询员，他将继续为您服务。"


def occupy(app, centre: str = "0432", sid: str = OTHER_CALL) -> None:
    """Another caller's call holds an agent of ``centre``."""
    with app.app_context():
        assert presence().claim(centre, sid) is not None
        db.session().commit()


def recordings(app) -> list[CallRecording]:
    with app.app_context():
        return list(db.session().scalars(select(CallRecording).order_by(CallRecording.id)))


def test_a_free_agent_is_dialled_longest_idle_first_and_recorded(app, agents, make_phone):
    recent = agents.add("zhao", idle_minutes=5)
    longest = agents.add("qian", idle_minutes=30)
    agents.add("sun", status="paused", idle_minutes=60)
    agents.add("li", centre="0431", idle_minutes=90)  # Changchun: not this caller's centre
    before = agents.state(longest)
    seen = {}
    phone = make_phone(on_dial=lambda record, step: seen.update(during=agents.state(longest)))

    call = phone.call(["0"])

    [dial] = call.verbs("dial")
    assert dial.text == longest.phone
    assert dial.attrs["record"] == "record-from-answer-dual"
    assert dial.attrs["recordingStatusCallback"] == (
        f"{PUBLIC_URL}/voice/recording?kind=agent-call&agent={longest.id}"
    )
    assert dial.attrs["recordingStatusCallbackEvent"] == "completed absent"
    assert dial.attrs["timeout"] == "20"
    assert not call.verbs("enqueue")
    assert call.heard[-2:] == [CONNECTING, GOODBYE]
    assert (seen["during"].status, seen["during"].call_sid) == ("busy", call.sid)
    after = agents.state(longest)
    assert after.status == "available" and not after.call_sid
    assert after.since > before.since  # idle again from the end of the call

    # qian just finished a call, so zhao has now been idle longest.
    assert make_phone().call(["0"]).verbs("dial")[0].text == recent.phone


def test_the_recording_callback_stores_the_agent_call_recording(app, agents, make_phone):
    agent = agents.add("zhao")
    call = make_phone().call(["0"])
    [recording] = recordings(app)
    with app.app_context():
        stored = db.session().scalars(select(Call).where(Call.sid == call.sid)).one()
    assert recording.agent_id == agent.id and recording.call_id == stored.id
    assert recording.call_sid == call.sid and recording.caller == JILIN_CALLER
    assert recording.kind == "agent-call" and recording.duration == 30
    assert recording.media_url.startswith("https://recordings.example.invalid/")
    assert recording.download_status == "refused"  # not an IVR_MEDIA_HOSTS host


def test_no_free_agent_queues_announces_the_position_then_connects(app, agents, make_phone):
    agent = agents.add("zhou")
    occupy(app)
    states = []

    def agent_frees(phone, record, round_number):
        states.append(agents.waiting())
        if round_number == 1:
            agents.release(OTHER_CALL)  # the other call ends

    call = make_phone(between_rounds=agent_frees).call(["0"])

    [enqueue] = call.verbs("enqueue")
    assert enqueue.text == "jilin"
    assert enqueue.attrs["waitUrl"] == enqueue.attrs["action"]
    assert enqueue.attrs["waitUrlMethod"] == "POST"
    heard = call.heard
    assert heard[heard.index(CONNECTING) + 1 :] == [
        position(1),
        "请不要挂机，我们将尽快为您接通。",
        HOLD_MUSIC,
        position(1),
        "请不要挂机，我们将尽快为您接通。",
        HOLD_MUSIC,
        transfer(agent.agent_number),
        GOODBYE,
    ]
    assert [s.verb for s in call.steps].count("leave") == 1
    [dial] = call.verbs("dial")
    assert dial.text == agent.phone and dial.attrs["record"] == "record-from-answer-dual"
    assert states == [1, 1]  # the dashboards saw the caller waiting
    assert agents.waiting() == 0
    assert agents.status(agent) == "available"


def test_callers_ahead_in_the_queue_go_first(app, agents, make_phone, queues):
    agent = agents.add("zhou")
    occupy(app)
    ahead = "CA" + "a" * 32
    queues.join("jilin", ahead)  # someone already waiting

    def rounds(phone, record, round_number):
        if round_number == 0:
            agents.release(OTHER_CALL)  # one agent frees: for the caller ahead
        if round_number == 1:
            queues.leave("jilin", ahead)  # ...who hangs up before taking it

    call = make_phone(between_rounds=rounds).call(["0"])
    heard = call.heard
    assert heard.count(position(2)) == 2 and heard.count(position(1)) == 0
    assert [d.text for d in call.verbs("dial")] == [agent.phone]


def test_agent_does_not_answer_is_available_again_and_caller_may_leave_a_message(
    app, agents, make_phone
):
    agent = agents.add("wu")
    before = agents.state(agent)
    call = make_phone(dial_statuses=["no-answer"]).call(["0", "1"])
    assert [d.text for d in call.verbs("dial")] == [agent.phone]
    heard = call.heard
    assert heard[heard.index(CONNECTING) + 1 :][:3] == [UNAVAILABLE, OFFER, VOICEMAIL]
    after = agents.state(agent)
    assert after.status == "available" and after.since > before.since
    assert not recordings(app)[0].media_url  # nothing was recorded ("absent")


def test_caller_hanging_up_in_the_queue_leaves_nothing_claimed(app, agents, make_phone):
    agent = agents.add("zheng")
    occupy(app)
    call = make_phone(queue_rounds=3).call(["0"])
    assert call.ended_by == "caller hung up in queue"
    assert call.heard.count(position(1)) == 3
    assert agents.waiting() == 0
    agents.release(OTHER_CALL)
    assert agents.status(agent) == "available"


def test_caller_hanging_up_as_an_agent_is_found_frees_that_agent(app, agents, make_phone):
    agent = agents.add("feng")
    occupy(app)

    def agent_frees(phone, record, round_number):
        agents.release(OTHER_CALL)

    call = make_phone(between_rounds=agent_frees, leave_result="hangup").call(["0"])
    assert [s.verb for s in call.steps].count("leave") == 1  # the agent was claimed...
    assert not call.verbs("dial")
    state = agents.state(agent)  # ...and freed when Twilio reported the hang-up
    assert state.status == "available" and not state.call_sid
    assert agents.waiting() == 0


def test_after_the_longest_wait_the_caller_is_offered_a_message(app, agents, make_phone):
    agents.add("chen")
    occupy(app)
    call = make_phone(queue_round_seconds=60).call(["0", "1"])
    heard = call.heard
    assert heard.count(position(1)) == 3  # at 0, 60 and 120 s; at 180 s the wait is over
    assert heard[heard.index(UNAVAILABLE) :][:3] == [UNAVAILABLE, OFFER, VOICEMAIL]
    assert not call.verbs("dial")
    assert agents.waiting() == 0


def test_after_the_longest_wait_a_free_provincial_agent_takes_the_call(app, agents, make_phone):
    agents.add("chen")
    provincial = agents.add("wei", centre="provincial")
    occupy(app)
    call = make_phone(queue_round_seconds=60).call(["0"])
    assert "本地座席繁忙，请稍等，正在为您转接吉林省12333咨询服务中心人工服务。" in call.heard
    [dial] = call.verbs("dial")
    assert dial.text == provincial.phone
    assert dial.attrs["recordingStatusCallback"].endswith(f"agent={provincial.id}")
    assert call.heard[-1] == GOODBYE
    assert agents.status(provincial) == "available"


def test_changchun_callers_choose_then_reach_that_centres_agent(app, agents, make_phone):
    city = agents.add("han", centre="0431")
    provincial = agents.add("yang", centre="provincial")
    to_city = make_phone(caller="+8643188881234").call(["0", "2"])
    to_province = make_phone(caller="+8643188881234").call(["0", "1"])
    assert "省级咨询服务请按1、长春市咨询服务请按2" in to_city.heard
    assert [d.text for d in to_city.verbs("dial")] == [city.phone]
    assert [d.text for d in to_province.verbs("dial")] == [provincial.phone]


def test_sip_agents_are_dialled_by_sip(app, agents, make_phone):
    agents.add("zhu", phone="sip:1001@agents.example.test")
    call = make_phone().call(["0"])
    assert call.verbs("dial")[0].text == "sip:1001@agents.example.test"


def test_a_retried_dial_action_does_not_free_the_agents_next_call(app, agents, make_phone):
    agent = agents.add("qin")
    first = make_phone()
    first_call = first.call(["0"])
    action_url, action_params = next(
        (url, params) for url, params in first_call.requests if "DialCallStatus" in params
    )
    during = {}

    def retry_first_action(record, step):
        status, _ = first.post(action_url, action_params)  # Twilio retries the old action
        during.update(status=status, state=agents.state(agent))

    second_call = make_phone(on_dial=retry_first_action).call(["0"])
    assert during["status"] == 200
    assert (during["state"].status, during["state"].call_sid) == ("busy", second_call.sid)
    assert agents.status(agent) == "available"


def test_a_lost_dial_action_is_made_good_by_the_final_status_callback(app, agents, make_phone):
    agent = agents.add("xu")
    phone = make_phone()
    with app.app_context():
        assert presence().claim("0432", OTHER_CALL).agent_id == agent.id
        db.session().commit()
    params = {**phone.call_params(OTHER_CALL), "CallStatus": "completed"}
    status, _ = phone.post(f"{PUBLIC_URL}/voice/status", params)
    assert status == 204
    assert agents.status(agent) == "available"


def test_paused_and_offline_agents_get_no_calls(app, agents, make_phone):
    agents.add("he", status="paused")
    agents.add("lv", status="offline")
    call = make_phone(queue_rounds=2).call(["0"])
    assert not call.verbs("dial") and call.verbs("enqueue")
