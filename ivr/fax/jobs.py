"""The ``fax.deliver`` job: render the PDF and hand it to the provider, with retries.

Status moves queued → sending → sent; a failure goes back to queued while the
job has retries left (the job runner retries on the exception) and ends as
failed with the error once they are used up, or at once when retrying cannot
help (no CJK font, number without area code, refused by the provider). A fax
API's status callback then says delivered or failed (ivr/fax/callbacks.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ivr import db, jobs
from ivr.clock import utcnow
from ivr.fax.callbacks import status_callback_url
from ivr.fax.media import media_url, request_pdf
from ivr.fax.models import DONE, FaxRequest, FaxStatus
from ivr.fax.pdf import FontMissing
from ivr.fax.providers import Fax, PermanentError, provider_for
from ivr.fax.service import DELIVER
from ivr.logs import mask_number

log = logging.getLogger("ivr.fax")
RETRY_INTERVALS = (30, 120, 600)
MAX_ATTEMPTS = 1 + len(RETRY_INTERVALS)


@jobs.task(DELIVER, queue="default", timeout=180, retry_intervals=RETRY_INTERVALS)
def deliver(request_id: int) -> None:
    session = db.session()
    request = session.get(FaxRequest, request_id)
    if request is None or request.status in DONE:
        return  # already done (a duplicate job), or given up on
    provider = provider_for(current_app.config["SETTINGS"].fax, status_callback_url())
    request.status, request.provider = FaxStatus.SENDING, provider.name
    request.attempts += 1
    session.commit()
    try:
        pdf = request_pdf(request)
        fax = Fax(
            request.id,
            request.fax_number,
            request.document_key,
            request.document_title,
            pdf,
            media_url=media_url(request, pdf),
        )
        reference = provider.send(fax)
    except (PermanentError, FontMissing) as exc:
        _failed(request, str(exc), final=True)
        return
    except Exception as exc:
        final = request.attempts >= MAX_ATTEMPTS
        _failed(request, str(exc) or type(exc).__name__, final)
        raise  # the job runner tries again after its back-off
    request.status, request.error = FaxStatus.SENT, ""
    request.provider_ref = reference[:128]
    request.sent_at = utcnow()
    session.commit()
    log.info(
        "fax %s sent to %s by %s (%s)",
        request.id,
        mask_number(request.fax_number),
        provider.name,
        reference,
    )


def _failed(request: FaxRequest, error: str, final: bool) -> None:
    request.status = FaxStatus.FAILED if final else FaxStatus.QUEUED
    request.error = error[:2000]
    db.session().commit()
    log.warning(
        "fax %s to %s: attempt %d failed%s: %s",
        request.id,
        mask_number(request.fax_number),
        request.attempts,
        " (giving up)" if final else "",
        error,
    )


@jobs.sweeper("fax")
def sweep(older_than_minutes: int = 10) -> int:
    """Queue again requests left queued or sending (Redis down, worker lost)."""
    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    ids = list(
        db.session().scalars(
            select(FaxRequest.id).where(
                FaxRequest.status.in_((FaxStatus.QUEUED, FaxStatus.SENDING)),
                FaxRequest.updated_at < cutoff,
            )
        )
    )
    for request_id in ids:
        jobs.enqueue(DELIVER, request_id)
    return len(ids)
