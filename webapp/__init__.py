"""The staff web UI's shared parts: login, roles, CSRF, error pages, templates.

``init_app`` runs before the domains, which add their pages with
:func:`register_private` (pages holding callers' or agents' data) or
:func:`register_signed` (callbacks authenticated by a platform's signature,
which cannot carry a CSRF token). Every other form is CSRF-protected.
Every response but the webhooks' carries security headers (``webapp.security``).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from webapp import security, throttle
from webapp.login import login_manager
from webapp.templating import register_template_helpers

csrf = CSRFProtect()
PRIVATE = "webapp.private"  # app.extensions: names of the private blueprints

# Shared templates (webapp/templates) and static files (/static/webapp/...).
ui = Blueprint(
    "webapp",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/webapp",
)


def init_app(app: Flask) -> None:
    from webapp.auth.views import bp as auth_bp

    # A page left open during a shift must still post; Flask-WTF's default is one hour.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)

    login_manager.init_app(app)
    throttle.init_app(app)
    csrf.init_app(app)
    app.extensions[PRIVATE] = set()
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(403, _forbidden)
    app.after_request(_no_store)
    security.init_app(app)
    register_template_helpers(app)
    for blueprint in (ui, auth_bp):
        app.register_blueprint(blueprint)


def register_private(app: Flask, blueprint: Blueprint) -> None:
    """Pages holding callers' or agents' data: never cached, a readable 403."""
    app.register_blueprint(blueprint)
    app.extensions[PRIVATE].add(blueprint.name)


def register_signed(app: Flask, blueprint: Blueprint) -> None:
    """Callbacks a platform signs (checked by their views) instead of a CSRF token."""
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)


def _private() -> bool:
    return request.blueprint in current_app.extensions[PRIVATE]


def _csrf_error(error: CSRFError):
    message = f"表单已过期或无效，请返回重试。 The form expired or is invalid ({error.description}); go back, reload and try again."
    return render_template("webapp/error.html", code=400, message=message), 400


def _no_store(response):
    """Keep private pages and recordings out of shared and browser caches."""
    if _private():
        response.headers["Cache-Control"] = "no-store, private"
    return response


def _forbidden(error):
    if not _private():
        return error
    message = "您的角色无权访问此页面。 Your role does not give access to this page."
    return render_template("webapp/error.html", code=403, message=message), 403
