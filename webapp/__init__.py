"""Staff and inspector web UI: login, roles, the voicemail inbox.

``init_app`` is called from :func:`ivr.app.create_app`. Every form is
CSRF-protected except Twilio's webhooks and the fax API's status callbacks,
which are authenticated by their signature instead (and cannot carry a token).
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from webapp.login import login_manager
from webapp.templating import register_template_helpers

csrf = CSRFProtect()

# Shared templates (webapp/templates) and static files (/static/webapp/...).
ui = Blueprint(
    "webapp",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/webapp",
)


def init_app(app: Flask) -> None:
    from ivr.fax.callbacks import bp as fax_callbacks_bp
    from ivr.voice.views import bp as voice_bp
    from webapp.agents.views import bp as agents_bp
    from webapp.auth.views import bp as auth_bp
    from webapp.inspection.views import bp as inspection_bp
    from webapp.selfservice.views import bp as selfservice_bp
    from webapp.staff.views import bp as staff_bp
    from webapp.tickets.views import bp as tickets_bp

    # A page left open during a shift must still post; Flask-WTF's default is one hour.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)

    login_manager.init_app(app)
    csrf.init_app(app)
    csrf.exempt(voice_bp)
    csrf.exempt(fax_callbacks_bp)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(403, _forbidden)
    app.after_request(_no_store)
    register_template_helpers(app)
    for blueprint in (ui, auth_bp, staff_bp, selfservice_bp, inspection_bp, agents_bp, tickets_bp):
        app.register_blueprint(blueprint)


def _csrf_error(error: CSRFError):
    message = f"表单已过期或无效，请返回重试。 The form expired or is invalid ({error.description}); go back, reload and try again."
    return render_template("webapp/error.html", code=400, message=message), 400


# Pages holding callers' or agents' data.
PRIVATE_BLUEPRINTS = ("staff", "tickets", "agents", "inspection", "selfservice")


def _no_store(response):
    """Keep private pages and recordings out of shared and browser caches."""
    if request.blueprint in PRIVATE_BLUEPRINTS:
        response.headers["Cache-Control"] = "no-store, private"
    return response


def _forbidden(error):
    if request.blueprint not in PRIVATE_BLUEPRINTS:
        return error
    message = "您的角色无权访问此页面。 Your role does not give access to this page."
    return render_template("webapp/error.html", code=403, message=message), 403
