"""Delivery by each provider, with retries: HylaFAX's sendfax (a real subprocess) and a fax REST API."""

from __future__ import annotations

import base64
import json
import threading
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ivr.fax import pdf as fax_pdf
from ivr.fax.jobs import MAX_ATTEMPTS
from ivr.fax.providers import Fax, PermanentError, RestFax
from tests.fax.conftest import drain, fake_sendfax, fax_phone, fax_requests
from tests.fax.pdfcheck import read

PENSION = "养老保险待遇申领须知"
KEYS = ["3", "1", "043188881234#", "1"]


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


class FaxApi:
    """A local stand-in for a Twilio-compatible fax API: checks basic auth, keeps each POST."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.answers: list[tuple[int, dict]] = []  # served first, then 201
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/2010-04-01/Accounts/PROJ"

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                message = BytesParser(policy=policy.HTTP).parsebytes(
                    f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
                )
                fields, files = {}, {}
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if part.get_filename():
                        files[name] = (
                            part.get_filename(),
                            part.get_content_type(),
                            part.get_payload(decode=True),
                        )
                    else:
                        fields[name] = part.get_content()
                api.posts.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "fields": fields,
                        "files": files,
                    }
                )
                status, answer = (
                    api.answers.pop(0)
                    if api.answers
                    else (201, {"sid": "FXabc123", "status": "queued"})
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        return Handler


@pytest.fixture
def fax_api():
    api = FaxApi()
    thread = threading.Thread(target=api.server.serve_forever, daemon=True)
    thread.start()
    yield api
    api.server.shutdown()
    api.server.server_close()


def rest_app(make_fax_app, fax_api):
    return make_fax_app(
        IVR_FAX_PROVIDER="rest",
        IVR_FAX_REST_URL=fax_api.url,
        IVR_FAX_REST_USER="PROJ",
        IVR_FAX_REST_TOKEN="PTsecret",
        IVR_FAX_FROM="+8643112333",
    )


def test_rest_provider_posts_the_pdf_with_basic_auth(make_fax_app, fax_api, at):
    app = rest_app(make_fax_app, fax_api)
    at(2026, 11, 23, 10, 0)
    fax_phone(app).call(KEYS)
    drain(app)

    [request] = fax_requests(app)
    assert (request.status, request.attempts, request.provider_ref) == ("sent", 1, "FXabc123")
    [post] = fax_api.posts
    assert post["path"] == "/2010-04-01/Accounts/PROJ/Faxes"
    assert post["auth"] == "Basic " + base64.b64encode(b"PROJ:PTsecret").decode()
    assert post["fields"]["To"] == "+8643188881234" and post["fields"]["From"] == "+8643112333"
    filename, content_type, data = post["files"]["Media"]
    assert filename == f"fax-{request.id:06d}-doc1.pdf" and content_type == "application/pdf"
    assert PENSION in read(data).text


def test_rest_server_errors_are_retried(make_fax_app, fax_api, at):
    fax_api.answers = [(503, {"message": "busy"}), (500, {"message": "oops"})]
    app = rest_app(make_fax_app, fax_api)
    at(2026, 11, 23, 10, 0)
    fax_phone(app).call(KEYS)
    drain(app)
    [request] = fax_requests(app)
    assert (request.status, request.attempts, request.error) == ("sent", 3, "")
    assert len(fax_api.posts) == 3


def test_a_refusal_fails_at_once_with_the_reason(make_fax_app, fax_api, at):
    fax_api.answers = [(400, {"message": "The 'To' number is not a valid fax number"})]
    app = rest_app(make_fax_app, fax_api)
    at(2026, 11, 23, 10, 0)
    fax_phone(app).call(KEYS)
    drain(app)
    [request] = fax_requests(app)
    assert (request.status, request.attempts) == ("failed", 1)
    assert request.error == "fax API refused the fax: 400 The 'To' number is not a valid fax number"


def test_rest_refuses_numbers_without_area_code_and_missing_credentials():
    fax = Fax(1, "88881234", "1", PENSION, b"%PDF-1.3")
    with pytest.raises(PermanentError, match="no area code"):
        RestFax("http://127.0.0.1:9", "u", "t").send(fax)
    with pytest.raises(PermanentError, match="IVR_FAX_REST_USER"):
        RestFax("http://127.0.0.1:9", "", "").send(fax)


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
