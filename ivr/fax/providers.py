"""Where a fax PDF goes (``IVR_FAX_PROVIDER``): an outbox folder, HylaFAX, or a fax REST API.

Each provider's ``send`` returns a reference (file name, HylaFAX job id, fax
SID) once the fax is handed over, raises :class:`DeliveryError` for a failure
worth retrying, and :class:`PermanentError` for one that retrying cannot fix.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess  # noqa: S404 - HylaFAX's sendfax is run with an argument list, no shell
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import requests

from ivr.fax import numbers
from ivr.settings import FaxSettings


class DeliveryError(RuntimeError):
    """The fax was not handed over; try again later."""


class PermanentError(DeliveryError):
    """The fax cannot be sent as asked (bad number, refused by the provider)."""


@dataclass(frozen=True)
class Fax:
    request_id: int
    number: str  # as the caller keyed it, with their area code added when local
    document_key: str
    title: str
    pdf: bytes
    media_url: str = ""  # a signed public link to ``pdf``, for APIs that fetch the document


class Provider(Protocol):
    name: str

    def send(self, fax: Fax) -> str: ...


def file_stem(fax: Fax) -> str:
    return f"fax-{fax.request_id:06d}-doc{fax.document_key}"


class Outbox:
    """Write ``<outbox>/fax-000042-doc1.pdf`` and a JSON sidecar naming the number."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, fax: Fax) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = file_stem(fax)
        sidecar = {
            "request_id": fax.request_id,
            "to": fax.number,
            "document": fax.document_key,
            "title": fax.title,
            "pdf": f"{stem}.pdf",
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _write_atomically(self.folder / f"{stem}.pdf", fax.pdf)
        _write_atomically(
            self.folder / f"{stem}.json",
            json.dumps(sidecar, ensure_ascii=False, indent=2).encode("utf-8"),
        )
        return f"{stem}.pdf"


def _write_atomically(path: Path, data: bytes) -> None:
    """A fax gateway polling the folder never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class HylaFax:
    """Hand the PDF to HylaFAX: ``sendfax -n [-h host] [-f from] -d NUMBER file.pdf``."""

    name = "hylafax"
    JOB_ID = re.compile(r"request id is (\d+)")

    def __init__(self, command: str, host: str = "", sender: str = "", timeout: int = 60) -> None:
        self.command, self.host, self.sender, self.timeout = command, host, sender, timeout

    def send(self, fax: Fax) -> str:
        executable = shutil.which(self.command)
        if executable is None:
            raise PermanentError(
                f"HylaFAX client {self.command!r} not found on PATH "
                "(install the hylafax-client package or set IVR_FAX_SENDFAX)"
            )
        with tempfile.TemporaryDirectory(prefix="ivr-fax-") as folder:
            path = Path(folder) / f"{file_stem(fax)}.pdf"
            path.write_bytes(fax.pdf)
            args = [executable, "-n"]
            if self.host:
                args += ["-h", self.host]
            if self.sender:
                args += ["-f", self.sender]
            args += ["-d", fax.number, str(path)]
            try:
                done = subprocess.run(  # noqa: S603 - fixed argument list, validated number
                    args, capture_output=True, text=True, timeout=self.timeout, check=False
                )
            except subprocess.TimeoutExpired as exc:
                raise DeliveryError(f"sendfax did not finish in {self.timeout}s") from exc
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            raise DeliveryError(f"sendfax exited {done.returncode}: {output[-500:]}")
        match = self.JOB_ID.search(output)
        return f"hylafax:{match.group(1)}" if match else "hylafax"


class RestFax:
    """A Twilio-compatible fax API (e.g. SignalWire's): ``POST {url}/Faxes`` with a ``MediaUrl``.

    The API fetches the PDF from our signed link (ivr/fax/media.py) and reports
    the outcome to ``status_callback`` (ivr/fax/callbacks.py).
    """

    name = "rest"

    def __init__(
        self,
        url: str,
        user: str,
        token: str,
        sender: str = "",
        status_callback: str = "",
        timeout: int = 30,
    ) -> None:
        self.url, self.user, self.token, self.sender = url, user, token, sender
        self.status_callback, self.timeout = status_callback, timeout

    def send(self, fax: Fax) -> str:
        if not self.user or not self.token:
            raise PermanentError(
                "fax REST API credentials missing: set IVR_FAX_REST_USER and IVR_FAX_REST_TOKEN"
            )
        if not fax.media_url:
            raise PermanentError("no media URL for the fax API to fetch the document from")
        try:
            to = numbers.e164(fax.number)
        except ValueError as exc:
            raise PermanentError(str(exc)) from exc
        fields = {"To": to, "MediaUrl": fax.media_url, "Quality": "fine"}
        if self.sender:
            fields["From"] = self.sender
        if self.status_callback:
            fields["StatusCallback"] = self.status_callback
        try:
            response = requests.post(
                f"{self.url}/Faxes", data=fields, auth=(self.user, self.token), timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise DeliveryError(f"fax API unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise DeliveryError(f"fax API answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(
                f"fax API refused the fax: {response.status_code} {_reason(response)}"
            )
        try:
            sid = str(response.json().get("sid", ""))
        except ValueError:
            sid = ""
        return sid or "accepted"


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("message") or body.get("detail") or body)[:200]


def provider_for(settings: FaxSettings, status_callback: str = "") -> Provider:
    """The configured provider; ``status_callback`` is where a fax API reports the outcome."""
    if settings.provider == "hylafax":
        return HylaFax(settings.sendfax, settings.hylafax_host, settings.sender)
    if settings.provider == "rest":
        return RestFax(
            settings.rest_url,
            settings.rest_user,
            settings.rest_token,
            settings.sender,
            status_callback=status_callback,
        )
    return Outbox(settings.outbox)
