"""The signed link a fax API fetches a document from: the PDF sent, to the link's holder, for a while."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from ivr.fax import media
from ivr.fax.models import FaxRequest
from ivr.settings import SettingsError, load_settings
from tests.conftest import PUBLIC_URL, app_environ
from tests.fax.pdfcheck import read

ASKED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in the centre


def fax_request(session, key: str = "1", minutes: int = 0) -> FaxRequest:
    request = FaxRequest(
        call_sid="CA" + "1" * 32,
        document_key=key,
        document_title=f"document {key}",
        fax_number="043188881234",
        status="sending",
        provider="rest",
        created_at=ASKED + timedelta(minutes=minutes),
    )
    session.add(request)
    session.commit()
    return request


def link(request: FaxRequest) -> tuple[str, bytes]:
    """The path of the request's link (as the job makes it) and the PDF it was made for."""
    pdf = media.request_pdf(request)
    url = media.media_url(request, pdf)
    assert url.startswith(f"{PUBLIC_URL}/media/fax/") and url.endswith(".pdf")
    return url.removeprefix(PUBLIC_URL), pdf


def refused(response) -> bool:
    return response.status_code == 404 and not response.data.startswith(b"%PDF")


def test_a_link_serves_exactly_the_pdf_sent_until_it_expires(client, db_session, at):
    at(2026, 11, 23, 10, 0)
    path, pdf = link(fax_request(db_session))

    response = client.get(path)
    assert response.status_code == 200
    assert response.data == pdf
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store, private"
    assert "养老保险待遇申领须知" in read(response.data).text

    at(2026, 11, 24, 9, 59)  # rendered again a day later: the same bytes
    assert client.get(path).data == pdf
    at(2026, 11, 24, 10, 1)  # IVR_FAX_MEDIA_TTL (24 h by default) is over
    assert refused(client.get(path))


def test_the_ttl_setting_bounds_the_link(app, client, db_session, at):
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(settings, fax=replace(settings.fax, media_ttl=60))
    at(2026, 11, 23, 10, 0)
    path, _ = link(fax_request(db_session))
    at(2026, 11, 23, 10, 0, 59)
    assert client.get(path).status_code == 200
    at(2026, 11, 23, 10, 1, 1)
    assert refused(client.get(path))


def test_tampered_and_foreign_links_are_refused(app, client, db_session, at):
    at(2026, 11, 23, 10, 0)
    request = fax_request(db_session)
    path, _ = link(request)
    token = path.removeprefix("/media/fax/").removesuffix(".pdf")
    payload, stamp, signature = token.split(".")
    claims = URLSafeTimedSerializer("x").loads_unsafe(token)[1]  # readable, not trusted

    other_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    other_payload = URLSafeTimedSerializer("x").dump_payload([request.id + 1, *claims[1:]])
    for forged in (
        f"{payload}.{stamp}.{other_signature}",
        f"{other_payload.decode()}.{stamp}.{signature}",
        URLSafeTimedSerializer("another-secret", salt=media.SALT).dumps(claims),
        URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="cookie-session").dumps(claims),
        "not-a-token",
    ):
        assert refused(client.get(f"/media/fax/{forged}.pdf")), forged
    assert client.get(path).status_code == 200


def test_a_link_opens_only_its_own_request(app, client, db_session, at):
    at(2026, 11, 23, 10, 0)
    first, second = fax_request(db_session, "1"), fax_request(db_session, "2", minutes=5)
    first_path, first_pdf = link(first)
    second_path, second_pdf = link(second)
    assert client.get(first_path).data == first_pdf
    assert client.get(second_path).data == second_pdf != first_pdf

    # Validly signed but naming the other request (as after ids were reused): refused.
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=media.SALT)
    _, key, digest = signer.loads(first_path.removeprefix("/media/fax/").removesuffix(".pdf"))
    for claims in ([second.id, key, digest], [second.id, second.document_key, digest]):
        assert refused(client.get(f"/media/fax/{signer.dumps(claims)}.pdf")), claims


def test_a_document_changed_or_removed_since_sending_is_not_served(
    app, client, db_session, monkeypatch, at
):
    at(2026, 11, 23, 10, 0)
    path, _ = link(fax_request(db_session))
    documents = app.extensions["ivr.fax.catalogue"].documents
    monkeypatch.setitem(documents, "1", replace(documents["1"], text="新的内容"))
    assert refused(client.get(path))  # never a different document under the old link
    monkeypatch.delitem(documents, "1")
    assert refused(client.get(path))


@pytest.mark.parametrize("value", ["1h", "0", "-5"])
def test_a_bad_ttl_names_the_variable(tmp_path, value):
    environ = app_environ("sqlite://", tmp_path, IVR_FAX_MEDIA_TTL=value)
    with pytest.raises(SettingsError, match=f"IVR_FAX_MEDIA_TTL='{value}' is invalid: must be"):
        load_settings(environ)


def test_the_ttl_defaults_to_a_day(tmp_path):
    assert load_settings(app_environ("sqlite://", tmp_path)).fax.media_ttl == 24 * 3600
    environ = app_environ("sqlite://", tmp_path, IVR_FAX_MEDIA_TTL="3600")
    assert load_settings(environ).fax.media_ttl == 3600
