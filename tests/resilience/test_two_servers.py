"""Two gunicorn servers, one Redis, one database: any step of a call may hit either.

Call state travels in the signed action URLs, so a call that bounces between
servers on every webhook must sound exactly as on one server and be stored once;
Twilio's retries of the same webhook, to either server and at the same time,
must change the database once.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from rq import Queue

from ivr.simulator import http_transport
from tests.harness import ACCOUNT_SID, PUBLIC_URL
from tests.resilience.helpers import CALLER, alternating, phone, rows

# Menu paths valid in and out of staffed hours (the servers run on the real clock,
# so each path's reference is a run on one server at the same moment, not a fixed text).
PATHS = [
    ("1", "2", "*"),  # information, medical, back
    ("1", "1", "1", "2", "2"),  # pension, repeat, move on, hang up
    ("9", "0431#"),  # other region: Changchun
    ("9", "9999#", "0439#"),  # unknown area code, then Baishan
    ("0", "2"),  # an agent: Changchun caller chooses the city centre
    ("2", "1"),  # voicemail, keep it
    ("3", "2"),  # fax, then hang up
    ("-", "-", "-"),  # silence three times
    ("7", "4", "*", "*"),  # invalid key, account, back, back
    ("1", "8", "2", "1", "5"),  # social security card, continue, information, maternity
]


def stored(engine, sids) -> dict[str, list[tuple[str, str, str]]]:
    """Each call's events (kind, node, digits) in the order they were stored."""
    found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for sid, kind, node, digits in rows(
        engine,
        "SELECT c.sid, e.kind, e.node, e.digits FROM call_events e "
        "JOIN calls c ON c.id = e.call_id ORDER BY e.created_at, e.id",
    ):
        if sid in sids:
            found[sid].append((kind, node, digits))
    return found


@pytest.mark.slow
def test_calls_alternating_between_two_servers_sound_and_store_as_on_one(
    private_redis, launcher, clean_tables, media
):
    a, b = servers = launcher.servers(2, private_redis.url)
    recording = media.url("ko_caller_8k")

    # Reference: each path on server A alone.
    reference = {
        path: phone(http_transport(a.base_url), recording_url=recording).call(path)
        for path in PATHS
    }

    def bounce(index: int):
        path = PATHS[index % len(PATHS)]
        transport, used = alternating(servers, start=index)
        return path, phone(transport, recording_url=recording).call(path), used

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(bounce, range(2 * len(PATHS))))

    for path, record, used in results:
        expected = reference[path]
        assert record.heard == expected.heard, path
        assert record.ended_by == expected.ended_by, path
        assert [s.verb for s in record.steps] == [s.verb for s in expected.steps], path
        assert set(used) == {0, 1}, path  # both servers answered steps of this call
    assert any("选择错误" in h for h in reference[("7", "4", "*", "*")].heard)
    assert any(s.verb == "record" for s in reference[("2", "1")].steps)

    for server in servers:  # each server's access log shows webhooks it answered
        assert server.output().count("POST /voice/") >= 2 * len(PATHS)
        assert "Traceback" not in server.output(), server.tail()

    sids = {r.sid for r in reference.values()} | {r.sid for _, r, _ in results}
    calls = rows(clean_tables, "SELECT sid, status, from_number FROM calls")
    assert sorted(sid for sid, _, _ in calls) == sorted(sids)  # each call once
    assert {(status, number) for _, status, number in calls} == {("completed", CALLER)}

    # Menu steps wait in the call journal (Redis) for the worker's flush job.
    assert "written:" in launcher.run_ivr(["calls", "flush"], private_redis.url)
    events = stored(clean_tables, sids)
    for path, record, _ in results:
        assert events[record.sid] == events[reference[path].sid], path
        assert events[record.sid][0][0] == "incoming" and events[record.sid][-1][0] == "end"

    # Paths that reach voicemail (which ones depends on the hour): the same message rows.
    messages: dict[str, list[str]] = defaultdict(list)
    for call_sid, state in rows(clean_tables, "SELECT call_sid, state FROM voicemails ORDER BY id"):
        messages[call_sid].append(state)
    recorded = [(p, r) for p, r, _ in results if r.verbs("record")]
    assert recorded and ("2", "1") in {p for p, _ in recorded}
    for path, record in recorded:
        assert messages[record.sid] == messages[reference[path].sid] == ["recorded"], path
    voicemail_sids = set(messages)
    assert voicemail_sids == {r.sid for r in reference.values() if r.verbs("record")} | {
        r.sid for _, r in recorded
    }
    connection = private_redis.client()
    assert Queue("default", connection=connection).count == len(voicemail_sids)


def post_everywhere(servers, url, params, times: int, parallel: bool = False):
    """Deliver one signed webhook ``times`` times, alternating servers (as Twilio retries)."""
    signer = phone(lambda *_: (0, ""))

    def deliver(index: int):
        server = servers[index % len(servers)]
        headers = {"X-Twilio-Signature": signer.validator.compute_signature(url, params)}
        return http_transport(server.base_url)(url, params, headers)

    if not parallel:
        return [deliver(i) for i in range(times)]
    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(deliver, range(times)))


def call_params(sid: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": CALLER,
        "To": "+8643112333",
        "Direction": "inbound",
        **extra,
    }


def kinds(engine, sid: str) -> list[str]:
    return [k for k, _, _ in stored(engine, {sid})[sid]]


def test_twilio_retries_to_both_servers_change_the_database_once(
    private_redis, launcher, clean_tables, media
):
    servers = launcher.servers(2, private_redis.url)

    # The same "call comes in" six times at once, to both servers.
    first = "CA" + "1" * 32
    answers = post_everywhere(
        servers,
        f"{PUBLIC_URL}/voice/incoming",
        call_params(first, CallStatus="ringing"),
        times=6,
        parallel=True,
    )
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1  # the same TwiML every time
    # Six journal entries, written as one call and one request's steps.
    assert "written: 6 request(s)" in launcher.run_ivr(["calls", "flush"], private_redis.url)
    assert rows(clean_tables, "SELECT count(*) FROM calls") == [(1,)]
    assert kinds(clean_tables, first).count("incoming") == 1

    # The final status callback three times: one status event, the status and duration.
    status_url = f"{PUBLIC_URL}/voice/status"
    completed = call_params(first, CallStatus="completed", CallDuration="42")
    assert [s for s, _ in post_everywhere(servers, status_url, completed, times=3)] == [204] * 3
    assert kinds(clean_tables, first).count("status") == 1

    # Out of order (and each one retried): a late "ringing" never undoes "completed".
    second = "CA" + "2" * 32
    for status, extra in (
        ("completed", {"CallDuration": "42"}),
        ("ringing", {}),
        ("in-progress", {}),
        ("completed", {"CallDuration": "99"}),
    ):
        params = call_params(second, CallStatus=status, **extra)
        assert [s for s, _ in post_everywhere(servers, status_url, params, times=2)] == [204] * 2
    assert kinds(clean_tables, second).count("status") == 4  # four distinct callbacks, once each

    calls = rows(clean_tables, "SELECT sid, status, duration, ended_at FROM calls ORDER BY sid")
    assert [(sid, status, duration) for sid, status, duration, _ in calls] == [
        (first, "completed", 42),
        (second, "completed", 42),
    ]
    assert all(ended is not None for *_, ended in calls)

    # A recording callback six times at once, to both servers: one message, one download.
    params = call_params(
        second,
        RecordingSid="RE" + "3" * 32,
        RecordingUrl=media.url("ko_caller_8k"),
        RecordingStatus="completed",
        RecordingDuration="5",
    )
    answers = post_everywhere(
        servers, f"{PUBLIC_URL}/voice/recording", params, times=6, parallel=True
    )
    assert {status for status, _ in answers} == {204}
    assert rows(clean_tables, "SELECT recording_sid, call_sid FROM voicemails") == [
        ("RE" + "3" * 32, second)
    ]
    connection = private_redis.client()
    assert Queue("default", connection=connection).count == 1
