"""``POST /fax/status``: only the fax API (signing with its token) can say how a fax ended."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from twilio.request_validator import RequestValidator

from ivr import db
from ivr.app import create_app
from ivr.fax.models import FaxRequest
from ivr.settings import load_settings
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, app_environ

FAX_TOKEN = "PTsecret-of-the-fax-api"
URL = f"{PUBLIC_URL}/fax/status"
SID = "FX" + "1" * 32
OTHER_SID = "2b8f6c2e-5e1a-4c56-9d0c-8f0e5c3a1b2d"  # SignalWire's SIDs are UUIDs


@pytest.fixture
def app(database_url, connection, tmp_path):
    environ = app_environ(
        database_url,
        tmp_path,
        IVR_FAX_PROVIDER="rest",
        IVR_FAX_REST_URL="http://127.0.0.1:9/api",
        IVR_FAX_REST_TOKEN=FAX_TOKEN,
    )
    app = create_app({"SETTINGS": load_settings(environ), "TESTING": True})
    app.config["WTF_CSRF_ENABLED"] = True  # a callback cannot carry a CSRF token
    app.extensions["ivr.db"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return app


@pytest.fixture
def sent(app):
    """Two faxes handed to the API and waiting for the outcome."""
    with app.app_context():
        session = db.session()
        for sid in (SID, OTHER_SID):
            session.add(
                FaxRequest(
                    call_sid="CA" + "1" * 32,
                    document_key="1",
                    fax_number="043188881234",
                    status="sent",
                    attempts=1,
                    provider="rest",
                    provider_ref=sid,
                )
            )
        session.commit()


def states(app) -> dict[str, tuple[str, str]]:
    with app.app_context():
        rows = db.session().scalars(select(FaxRequest).order_by(FaxRequest.id))
        return {row.provider_ref: (row.status, row.error) for row in rows}


def report(client, status: str, sid: str = SID, token: str = FAX_TOKEN, url: str = URL, **extra):
    params = {"FaxSid": sid, "FaxStatus": status, "AccountSid": "PROJ", **extra}
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post("/fax/status", data=params, headers={"X-Twilio-Signature": signature})


def test_delivered_is_recorded_once_and_sticks(app, client, sent):
    assert report(client, "delivered").status_code == 204
    assert states(app) == {SID: ("delivered", ""), OTHER_SID: ("sent", "")}
    assert report(client, "delivered").status_code == 204  # retried by the API
    assert report(client, "failed").status_code == 204  # late, out of order
    assert states(app)[SID] == ("delivered", "")


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_a_failed_fax_says_what_the_api_reported(app, client, sent, status):
    response = report(client, status, sid=OTHER_SID, ErrorCode="15002", ErrorMessage="Line is busy")
    assert response.status_code == 204
    assert states(app) == {
        SID: ("sent", ""),
        OTHER_SID: ("failed", f"fax API reported {status}: Line is busy (error 15002)"),
    }


@pytest.mark.parametrize("status", ["queued", "processing", "sending", "receiving", "received"])
def test_statuses_on_the_way_change_nothing(app, client, sent, status):
    assert report(client, status).status_code == 204
    assert states(app) == {SID: ("sent", ""), OTHER_SID: ("sent", "")}


def test_an_unknown_fax_changes_nothing(app, client, sent):
    assert report(client, "delivered", sid="FX" + "9" * 32).status_code == 204
    assert states(app) == {SID: ("sent", ""), OTHER_SID: ("sent", "")}


def test_forged_callbacks_are_refused_and_change_nothing(app, client, sent):
    assert report(client, "failed", token="guessed").status_code == 403
    assert report(client, "failed", token=AUTH_TOKEN).status_code == 403  # the voice token
    assert report(client, "failed", url=f"{PUBLIC_URL}/voice/status").status_code == 403
    unsigned = client.post("/fax/status", data={"FaxSid": SID, "FaxStatus": "failed"})
    assert unsigned.status_code == 403
    assert states(app) == {SID: ("sent", ""), OTHER_SID: ("sent", "")}


def test_malformed_callbacks_are_refused(app, client, sent):
    assert report(client, "exploded").status_code == 400
    assert report(client, "delivered", sid="FX 1; DROP").status_code == 400
    assert report(client, "delivered", sid="").status_code == 400
    assert report(client, "delivered", sid=f"{SID}\n").status_code == 400
    as_json = client.post("/fax/status", json={"FaxSid": SID, "FaxStatus": "delivered"})
    assert as_json.status_code == 400
    assert states(app) == {SID: ("sent", ""), OTHER_SID: ("sent", "")}
