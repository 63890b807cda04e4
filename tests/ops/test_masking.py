"""No personal number in any log line: the app's logs and gunicorn's access log."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from ivr.access_log import MaskedLogger
from ivr.logs import mask

FAX_CONFIRM = "/voice/input/fax?stack=main_menu&n=7&t=0&r=FX1-043188881234"


def test_numbers_after_a_dash_are_masked():
    assert mask(f"POST {FAX_CONFIRM}") == (
        "POST /voice/input/fax?stack=main_menu&n=7&t=0&r=FX1-04****234"
    )
    assert mask("on 2026-11-23 at 10:00") == "on 2026-11-23 at 10:00"  # dates are not numbers


def test_the_access_log_masks_numbers_in_the_request_line():
    path, query = FAX_CONFIRM.split("?")
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": FAX_CONFIRM,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=120, headers=[])
    request = SimpleNamespace(headers=[])
    atoms = MaskedLogger(Config()).atoms(response, request, environ, timedelta(seconds=0.01))
    line = " ".join(str(value) for value in atoms.values())
    assert "043188881234" not in line
    assert "FX1-04****234" in atoms["r"]
