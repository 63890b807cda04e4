"""Hostile input: forged, unsigned or malformed webhooks get 403/400 and change nothing."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from ivr.calls.models import Call
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

SID = "CA" + "ab" * 16
PARAMS = {"CallSid": SID, "From": "+8643188881234", "To": "+8643112333", "CallStatus": "ringing"}


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def post(client, path: str, params: dict[str, str], signature: str | None):
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return client.post(path, data=params, headers=headers)


@pytest.mark.parametrize(
    "signature",
    [
        None,  # missing
        "",  # empty
        "bm90IGEgc2lnbmF0dXJl",  # garbage
        sign(f"{PUBLIC_URL}/voice/incoming", PARAMS, token="some-other-token"),
        # Signed over the URL the app sees behind a proxy, not the public one.
        sign("http://localhost/voice/incoming", PARAMS),
        # Signed for different parameters.
        sign(f"{PUBLIC_URL}/voice/incoming", {**PARAMS, "From": "+10000000000"}),
    ],
)
def test_unsigned_or_forged_requests_are_refused_and_write_nothing(client, db_session, signature):
    response = post(client, "/voice/incoming", PARAMS, signature)
    assert response.status_code == 403
    assert count(db_session, Call) == 0


@pytest.mark.parametrize(
    "path", ["/voice/status", "/voice/node/main_menu", "/voice/input/main_menu"]
)
def test_every_voice_route_checks_signatures(client, path):
    assert post(client, path, {**PARAMS, "Digits": "1"}, "forged").status_code == 403


def test_state_in_the_url_cannot_be_tampered_with(client, db_session):
    url = f"{PUBLIC_URL}/voice/input/main_menu?" + urlencode({"stack": "", "n": "1", "t": "0"})
    params = {**PARAMS, "Digits": "1"}
    signature = sign(url, params)
    tampered = "/voice/input/agent?" + urlencode({"stack": "", "n": "1", "t": "0"})
    assert post(client, tampered, params, signature).status_code == 403


@pytest.mark.parametrize(
    "changes",
    [
        {"Digits": "12a"},
        {"Digits": "1" * 40},
        {"CallSid": "not-a-sid"},
        {"CallSid": ""},
        {"From": "'; DROP TABLE calls; --"},
        {"To": "x" * 3000},
    ],
)
def test_malformed_but_signed_requests_get_400(client, db_session, changes):
    params = {**PARAMS, **changes}
    path = "/voice/input/main_menu?stack=&n=1&t=0"
    response = post(client, path, params, sign(PUBLIC_URL + path, params))
    assert response.status_code == 400
    assert count(db_session, Call) == 0


@pytest.mark.parametrize("query", ["stack=&n=x&t=0", "stack=&n=1&t=-1", "stack=" + ".a" * 50])
def test_malformed_state_gets_400(client, query):
    path = f"/voice/node/main_menu?{query}"
    assert post(client, path, PARAMS, sign(PUBLIC_URL + path, PARAMS)).status_code == 400


def test_json_body_is_refused(client):
    response = client.post(
        "/voice/incoming",
        json=PARAMS,
        headers={"X-Twilio-Signature": sign(f"{PUBLIC_URL}/voice/incoming", {})},
    )
    assert response.status_code == 400


def test_get_is_not_allowed(client):
    assert client.get("/voice/incoming").status_code == 405


def _signed(client, path: str, params: dict[str, str]):
    return post(client, path, params, sign(PUBLIC_URL + path, params))


@pytest.mark.parametrize(
    ("field", "value"),
    [("CallSid", SID + "\n"), ("From", "+8643188881234\n"), ("Digits", "1\n")],
)
def test_a_trailing_newline_is_malformed(client, db_session, field, value):
    response = _signed(client, "/voice/incoming", {**PARAMS, field: value})
    assert response.status_code == 400
    assert count(db_session, Call) == 0


@pytest.mark.parametrize("duration", ["²", "9" * 2000, "-3", "1.5"])
def test_a_call_duration_that_is_not_whole_ascii_seconds_is_ignored(client, db_session, duration):
    params = {**PARAMS, "CallStatus": "completed", "CallDuration": duration}
    assert _signed(client, "/voice/status", params).status_code == 204
    call = db_session.scalars(select(Call)).one()
    assert call.status == "completed" and call.duration is None


def test_a_menu_removed_from_the_flow_mid_call_is_dropped_from_the_stack(client, at):
    at(2026, 11, 23, 10, 0)
    path = "/voice/input/info_menu?" + urlencode({"stack": "main_menu.gone_menu", "n": "4"})
    response = _signed(client, path, {**PARAMS, "Digits": "*"})  # back, past the removed menu
    assert response.status_code == 200
    assert f"{PUBLIC_URL}/voice/input/main_menu?" in response.get_data(as_text=True)
