"""Security headers for the web UI's responses, with a per-request CSP nonce.

Every response except the Twilio webhooks (``/voice/*``, kept lean) gets:
a Content-Security-Policy that allows only this site's own scripts, styles,
images and media (an inline ``<script>`` needs ``nonce="{{ csp_nonce() }}"``;
inline ``style=`` attributes are refused, use a class), forbids plugins,
framing (also ``X-Frame-Options: DENY`` for old browsers), foreign form
targets and ``<base>`` tricks; ``X-Content-Type-Options: nosniff``; and
``Referrer-Policy: same-origin``.
"""

from __future__ import annotations

import secrets

from flask import Flask, g, request

UNGUARDED_PREFIXES = ("/voice/",)


def csp_nonce() -> str:
    """This request's nonce for inline ``<script nonce="…">`` (template global)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "media-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _add_headers(response):
    if request.path.startswith(UNGUARDED_PREFIXES):
        return response
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    app.add_template_global(csp_nonce, "csp_nonce")
    app.after_request(_add_headers)
