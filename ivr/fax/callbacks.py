"""``POST /fax/status``: a fax API's status callback says whether a sent fax was delivered.

Twilio-compatible fax APIs (SignalWire's) post ``FaxSid`` and ``FaxStatus``
to the ``StatusCallback`` given with the fax, signed as Twilio signs webhooks
(``X-Twilio-Signature``) but with the fax API's token, IVR_FAX_REST_TOKEN.
Forged or unsigned → 403, malformed → 400, and nothing changes. Only a final
status of a request still waiting for its outcome ("sent") is applied, so
retried and late callbacks are harmless; an unknown FaxSid changes nothing.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select

from ivr import db
from ivr.fax.models import FaxRequest, FaxStatus
from ivr.logs import mask_number
from ivr.signatures import require_signed

log = logging.getLogger("ivr.fax")
bp = Blueprint("fax_callbacks", __name__, url_prefix="/fax")

PATH = "/fax/status"
FAX_SID = re.compile(r"[A-Za-z0-9-]{1,128}")  # Twilio: FX + 32 hex; SignalWire: a UUID
IN_FLIGHT = ("queued", "processing", "sending")  # nothing to record yet
FAILED = ("no-answer", "busy", "failed", "canceled")
INBOUND = ("receiving", "received")  # faxes to us: not this hotline's business
FAX_STATUSES = (*IN_FLIGHT, "delivered", *FAILED, *INBOUND)


def status_callback_url() -> str:
    return f"{current_app.config['SETTINGS'].public_url}{PATH}"


@bp.post("/status")
def fax_status() -> Response:
    require_signed(current_app.config["SETTINGS"].fax.rest_token)
    form = request.form
    sid, status = form.get("FaxSid", ""), form.get("FaxStatus", "")
    if not FAX_SID.fullmatch(sid) or status not in FAX_STATUSES:
        abort(400)
    if status in ("delivered", *FAILED):
        _apply(sid, status, form.get("ErrorCode", ""), form.get("ErrorMessage", ""))
    return Response(status=204)


def _apply(sid: str, status: str, code: str, message: str) -> None:
    session = db.session()
    fax = session.scalars(
        select(FaxRequest)
        .where(FaxRequest.provider == "rest", FaxRequest.provider_ref == sid)
        .with_for_update()
    ).first()
    if fax is None:
        log.warning("fax status %s for unknown fax %s: ignored", status, sid)
        return
    if fax.status != FaxStatus.SENT:  # not waiting for an outcome: a retried or late callback
        return
    if status == "delivered":
        fax.status, fax.error = FaxStatus.DELIVERED, ""
    else:
        reason = (f": {message}" if message else "") + (f" (error {code[:16]})" if code else "")
        fax.status, fax.error = FaxStatus.FAILED, f"fax API reported {status}{reason}"[:2000]
    session.commit()
    log.info("fax %s to %s: %s (%s)", fax.id, mask_number(fax.fax_number), status, sid)
