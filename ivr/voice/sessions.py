"""Twilio sends no cookies: webhooks skip the staff pages' signed-cookie session.

Flask opens the session of every request, which builds a signing serializer and
reads the cookie; on the webhooks' hot path that is work for nothing.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class StaffSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/voice/"):
            return self.make_null_session(app)
        return super().open_session(app, request)
