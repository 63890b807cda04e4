"""A fax request's PDF, and the signed, expiring public link a fax API fetches it from.

Twilio-compatible fax APIs (SignalWire's) take a ``MediaUrl`` and download the
document themselves. The link is ``IVR_PUBLIC_URL/media/fax/<token>.pdf``; the
token (itsdangerous, keyed with SECRET_KEY) names the request, its document and
the SHA-256 of the PDF sent, and expires after ``IVR_FAX_MEDIA_TTL`` seconds.

Nothing is stored: the PDF is rendered again on request. Rendering is
deterministic (stamped with the time the caller asked), and the digest in the
token makes sure the bytes served are exactly the bytes sent; a document
edited since then is refused, never replaced by another.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import Blueprint, Response, abort, current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from ivr import db
from ivr.fax.catalogue import Catalogue
from ivr.fax.models import FaxRequest
from ivr.fax.pdf import FontMissing, find_font, render
from ivr.fax.providers import PermanentError

log = logging.getLogger("ivr.fax")
SALT = "ivr.fax.media"
bp = Blueprint("fax_media", __name__)


def request_pdf(request: FaxRequest) -> bytes:
    """The request's PDF, the same bytes every time while the catalogue and font stay the same."""
    catalogue: Catalogue = current_app.extensions["ivr.fax.catalogue"]
    document = catalogue.get(request.document_key)
    if document is None:
        raise PermanentError(f"document {request.document_key} is no longer in fax.yaml")
    settings = current_app.config["SETTINGS"]
    font = find_font(settings.fax.font) if document.pdf is None else None
    printed_at = request.created_at.astimezone(settings.timezone)
    return render(document, font, printed_at=printed_at)  # type: ignore[arg-type]


def media_url(request: FaxRequest, pdf: bytes) -> str:
    """The absolute link (on IVR_PUBLIC_URL) that serves ``pdf`` for ``request`` until it expires."""
    token = _serializer().dumps([request.id, request.document_key, _digest(pdf)])
    return f"{current_app.config['SETTINGS'].public_url}/media/fax/{token}.pdf"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _digest(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()[:32]


@bp.get("/media/fax/<token>.pdf")
def fax_pdf(token: str) -> Response:
    """Public (the fax API has no session): the token is the only credential. 404 otherwise."""
    try:
        request_id, document_key, digest = _serializer().loads(
            token, max_age=current_app.config["SETTINGS"].fax.media_ttl
        )
        request = db.session().get(FaxRequest, int(request_id))
    except (BadData, TypeError, ValueError):
        log.warning("fax media: refused a bad or expired link")
        abort(404)
    if request is None or request.document_key != document_key:
        log.warning("fax media: link for request %s does not match it", request_id)
        abort(404)
    try:
        pdf = request_pdf(request)
    except (PermanentError, FontMissing) as exc:
        log.warning("fax media: request %s cannot be rendered: %s", request.id, exc)
        abort(404)
    if not hmac.compare_digest(_digest(pdf), str(digest)):
        log.warning("fax media: request %s's document changed since it was sent", request.id)
        abort(404)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Content-Disposition"] = f'inline; filename="fax-{request.id:06d}.pdf"'
    response.headers["X-Robots-Tag"] = "noindex"
    return response
