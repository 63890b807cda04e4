"""Delivery by each provider, with retries: HylaFAX's sendfax (a real subprocess) and a fax REST API.

The fax API (tests/fax/conftest.py) fetches each document from a live server
of the app through the signed link it is given, then reports the outcome.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from ivr.fax import pdf as fax_pdf
from ivr.fax.jobs import MAX_ATTEMPTS
from ivr.fax.providers import DeliveryError, Fax, PermanentError, RestFax
from tests.conftest import PUBLIC_URL
from tests.fax.conftest import FaxApi, drain, fake_sendfax, fax_phone, fax_requests
from tests.fax.pdfcheck import read

PENSION = "养老保险待遇申领须知"
KEYS = ["3", "1", "043188881234#", "1"]


@pytest.mark.sqlite  # the delivery job, run again on SQLite by scripts/test
def test_hylafax_gets_the_pdf_and_the_number_from_sendfax(make_fax_app, tmp_path, on_path, at):
    bin_dir = tmp_path / "bin"
    fake_sendfax(bin_dir)
    on_path(bin_dir)
    app = make_fax_app(
        IVR_FAX_PROVIDER="hylafax", IVR_FAX_HYLAFAX_HOST="faxserver.local", IVR_FAX_FROM="043112333"
    )
    at(2026, 11, 23, 10, 0)
    fax_phone(app).call(KEYS)
    drain(app)

    [request] = fax_requests(app)
    assert (request.status, request.attempts, request.provider) == ("sent", 1, "hylafax")
    assert request.provider_ref == "hylafax:17"
    [sent] = [json.loads(line) for line in (bin_dir / "calls.jsonl").read_text().splitlines()]
    *options, document = sent["argv"]
    assert options == ["-n", "-h", "faxserver.local", "-f", "043112333", "-d", "043188881234"]
    assert document.endswith(f"fax-{request.id:06d}-doc1.pdf")
    facts = read(bytes.fromhex(sent["pdf"]))
    assert PENSION in facts.text and facts.embedded


@pytest.mark.sqlite  # the delivery job, run again on SQLite by scripts/test
def test_hylafax_failures_are_retried_then_reported(make_fax_app, tmp_path, on_path, at):
    bin_dir = tmp_path / "bin"
    fake_sendfax(bin_dir, exit_code=1, output="sendfax: Can not reach server faxserver.local")
    on_path(bin_dir)
    app = make_fax_app(IVR_FAX_PROVIDER="hylafax")
    at(2026, 11, 23, 10, 0)
    fax_phone(app).call(KEYS)
    drain(app)

    [request] = fax_requests(app)
    assert (request.status, request.attempts) == ("failed", MAX_ATTEMPTS)
    assert "sendfax exited 1" in request.error and "Can not reach server" in request.error
    assert len((bin_dir / "calls.jsonl").read_text().splitlines()) == MAX_ATTEMPTS


def test_a_missing_sendfax_is_named_in_the_error(make_fax_app, at):
    app = make_fax_app(IVR_FAX_PROVIDER="hylafax", IVR_FAX_SENDFAX="sendfax-not-installed")
    at(2026, 11, 23, 10, 0)
    fax_phone(app).call(KEYS)
    drain(app)
    [request] = fax_requests(app)
    assert (request.status, request.attempts) == ("failed", 1)  # retrying would not help
    assert "'sendfax-not-installed' not found on PATH" in request.error


@pytest.mark.sqlite  # the delivery job, run again on SQLite by scripts/test
def test_rest_provider_gives_the_api_a_link_it_fetches_and_hears_it_was_delivered(
    rest_app, fax_api, at
):
    at(2026, 11, 23, 10, 0)
    fax_phone(rest_app).call(KEYS)
    drain(rest_app)

    [request] = fax_requests(rest_app)
    assert (request.status, request.attempts) == ("sent", 1)
    [post] = fax_api.posts
    assert post["path"] == "/api/laml/2010-04-01/Accounts/PROJ/Faxes"
    assert post["auth"] == "Basic " + base64.b64encode(b"PROJ:PTsecret").decode()
    assert post["content_type"] == "application/x-www-form-urlencoded"  # no upload: a link
    fields = post["fields"]
    media_url = fields.pop("MediaUrl")
    assert fields == {
        "To": "+8643188881234",
        "From": "+8643112333",
        "Quality": "fine",
        "StatusCallback": f"{PUBLIC_URL}/fax/status",
    }
    assert media_url.startswith(f"{PUBLIC_URL}/media/fax/") and media_url.endswith(".pdf")
    [media] = fax_api.fetched  # fetched by the API from the live server, during the POST
    assert media.headers["Content-Type"] == "application/pdf"
    assert "no-store" in media.headers["Cache-Control"]
    facts = read(media.content)
    assert PENSION in facts.text and facts.embedded
    assert "2026-11-23 10:00" in facts.text  # stamped with the time the caller asked
    assert request.provider_ref == post["sid"]

    assert fax_api.report(post["sid"], "sending") == 204
    assert fax_requests(rest_app)[0].status == "sent"  # still on its way
    assert fax_api.report(post["sid"], "delivered") == 204
    [request] = fax_requests(rest_app)
    assert (request.status, request.error) == ("delivered", "")

    at(2026, 11, 23, 11, 0)  # an hour later the link still gives exactly the same PDF
    assert fax_api.fetch(media_url).content == media.content


def test_the_api_reports_a_failed_fax(rest_app, fax_api, at):
    at(2026, 11, 23, 10, 0)
    fax_phone(rest_app).call(KEYS)
    drain(rest_app)
    [post] = fax_api.posts
    reported = fax_api.report(
        post["sid"], "no-answer", ErrorCode="15004", ErrorMessage="The remote fax did not answer"
    )
    assert reported == 204
    [request] = fax_requests(rest_app)
    assert request.status == "failed"
    assert (
        request.error == "fax API reported no-answer: The remote fax did not answer (error 15004)"
    )
    assert fax_api.report(post["sid"], "delivered") == 204  # late and out of order: no change
    assert fax_requests(rest_app)[0].status == "failed"


def test_rest_server_errors_are_retried(rest_app, fax_api, at):
    fax_api.answers = [(503, {"message": "busy"}), (500, {"message": "oops"})]
    at(2026, 11, 23, 10, 0)
    fax_phone(rest_app).call(KEYS)
    drain(rest_app)
    [request] = fax_requests(rest_app)
    assert (request.status, request.attempts, request.error) == ("sent", 3, "")
    assert len(fax_api.posts) == 3
    [accepted] = fax_api.fetched  # the first two were refused before fetching
    sent = [fax_api.fetch(post["fields"]["MediaUrl"]).content for post in fax_api.posts]
    assert sent == [accepted.content] * 3  # every attempt's link gives the same PDF


def test_a_refusal_fails_at_once_with_the_reason(rest_app, fax_api, at):
    fax_api.answers = [(400, {"message": "The 'To' number is not a valid fax number"})]
    at(2026, 11, 23, 10, 0)
    fax_phone(rest_app).call(KEYS)
    drain(rest_app)
    [request] = fax_requests(rest_app)
    assert (request.status, request.attempts) == ("failed", 1)
    assert request.error == "fax API refused the fax: 400 The 'To' number is not a valid fax number"


def test_wrong_api_credentials_fail_at_once(make_fax_app, fax_api, at):
    app = make_fax_app(
        IVR_FAX_PROVIDER="rest",
        IVR_FAX_REST_URL=fax_api.url,
        IVR_FAX_REST_USER=FaxApi.USER,
        IVR_FAX_REST_TOKEN="not-the-token",
    )
    at(2026, 11, 23, 10, 0)
    fax_phone(app).call(KEYS)
    drain(app)
    [request] = fax_requests(app)
    assert (request.status, request.attempts) == ("failed", 1)
    assert request.error == "fax API refused the fax: 401 Unauthorized"
    assert not fax_api.fetched


def test_fax_check_names_the_links_and_the_callback_the_api_is_given(make_fax_app, fax_api):
    app = make_fax_app(
        IVR_FAX_PROVIDER="rest", IVR_FAX_REST_URL=fax_api.url, IVR_FAX_MEDIA_TTL="7200"
    )
    result = app.test_cli_runner().invoke(args=["fax", "check"])
    assert result.exit_code == 0, result.output
    assert f"provider: rest → {fax_api.url}/Faxes" in result.output
    assert f"documents: {PUBLIC_URL}/media/fax/<signed link>.pdf, valid 2 h" in result.output
    assert f"status callbacks: {PUBLIC_URL}/fax/status" in result.output


def test_rest_refuses_what_it_cannot_send_and_retries_an_unreachable_api():
    link = f"{PUBLIC_URL}/media/fax/token.pdf"
    fax = Fax(1, "043188881234", "1", PENSION, b"%PDF-1.3", media_url=link)
    with pytest.raises(PermanentError, match="no area code"):
        RestFax("http://127.0.0.1:9", "u", "t").send(replace(fax, number="88881234"))
    with pytest.raises(PermanentError, match="IVR_FAX_REST_USER"):
        RestFax("http://127.0.0.1:9", "", "").send(fax)
    with pytest.raises(PermanentError, match="no media URL"):
        RestFax("http://127.0.0.1:9", "u", "t").send(replace(fax, media_url=""))
    with pytest.raises(DeliveryError, match="fax API unreachable") as caught:
        RestFax("http://127.0.0.1:9", "u", "t", timeout=2).send(fax)  # nothing listens on 9
    assert not isinstance(caught.value, PermanentError)  # so the job tries again


def test_without_a_cjk_font_the_request_fails_with_a_clear_error(make_fax_app, monkeypatch, at):
    monkeypatch.setattr(fax_pdf, "FONT_CANDIDATES", ())
    app = make_fax_app()
    at(2026, 11, 23, 10, 0)
    fax_phone(app).call(KEYS)
    drain(app)
    [request] = fax_requests(app)
    assert (request.status, request.attempts) == ("failed", 1)
    assert "fonts-wqy-zenhei" in request.error and "IVR_FAX_FONT" in request.error


def test_the_configured_font_is_used(tmp_path):
    from ivr.fax.catalogue import Document

    font = fax_pdf.find_font()
    assert fax_pdf.find_font(font) == font
    with pytest.raises(fax_pdf.FontMissing, match="IVR_FAX_FONT"):
        fax_pdf.find_font(tmp_path / "none.ttf")
    document = Document("1", {"zh-CN": "测试文件"}, text="第一行\n\n第二行 with English")
    facts = read(fax_pdf.render(document, font))
    assert "测试文件" in facts.text and "第二行 with English" in facts.text
