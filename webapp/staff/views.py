"""The voicemail inbox, a message's page and its audio (spec §6).

The caller's full number appears only on the message page, where staff need
it to call back; each view of that page and each listen is audited.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user, login_required

from ivr import db
from ivr.clock import utcnow
from ivr.logs import mask_number
from ivr.staff.models import User
from ivr.voicemail.models import Voicemail
from webapp import audit
from webapp.access import my_pages, permission_required
from webapp.audio import send_recording
from webapp.paging import list_args
from webapp.staff import voicemail as inbox
from webapp.staff.forms import HandleForm, ReopenForm

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "mask_number": mask_number,
        "preview": inbox.preview,
        "state_words": inbox.state_words,
        "download_words": inbox.download_words,
        "transcript_words": inbox.transcript_words,
    }


@bp.get("/")
@login_required
def home():
    return render_template("staff/home.html", pages=my_pages())


@bp.get("/voicemail")
@permission_required("voicemail.read")
def voicemail_inbox():
    show, number = list_args(inbox.FILTERS)
    page = inbox.inbox_page(db.session(), show, number)
    return render_template("staff/inbox.html", page=page, show=show, filters=inbox.FILTERS)


@bp.get("/voicemail/<int:message_id>")
@permission_required("voicemail.read")
def voicemail_message(message_id: int):
    message = _get(message_id)
    audit.record("view", "voicemail", message.id)
    db.session().commit()
    handled_by = db.session().get(User, message.handled_by) if message.handled_by else None
    form = HandleForm(note=message.handled_note)
    return render_template(
        "staff/message.html",
        message=message,
        handled_by=handled_by,
        handle_form=form,
        reopen_form=ReopenForm(),
        transcript=message.transcript or {},
    )


@bp.get("/voicemail/<int:message_id>/audio")
@permission_required("voicemail.read")
def voicemail_audio(message_id: int):
    message = _get(message_id)
    return send_recording(message, "voicemail", message.id)


@bp.post("/voicemail/<int:message_id>/handle")
@permission_required("voicemail.read")
def voicemail_handle(message_id: int):
    message = _get(message_id)
    form = HandleForm()
    if not form.validate_on_submit():
        flash("备注太长 The note is too long (2000 characters at most).", "error")
        return redirect(url_for(".voicemail_message", message_id=message.id))
    message.handled_at = utcnow()
    message.handled_by = current_user.id
    message.handled_note = (form.note.data or "").strip()
    audit.record("handle", "voicemail", message.id)
    db.session().commit()
    flash("已标记为已处理 Marked as handled.", "info")
    return redirect(url_for(".voicemail_inbox"))


@bp.post("/voicemail/<int:message_id>/reopen")
@permission_required("voicemail.read")
def voicemail_reopen(message_id: int):
    message = _get(message_id)
    if ReopenForm().validate_on_submit() and message.handled_at is not None:
        previous = {"handled_by": message.handled_by, "handled_at": message.handled_at.isoformat()}
        message.handled_at = None
        message.handled_by = None
        audit.record("reopen", "voicemail", message.id, **previous)
        db.session().commit()
        flash("已重新打开 Reopened: the message is unhandled again.", "info")
    return redirect(url_for(".voicemail_message", message_id=message.id))


def _get(message_id: int) -> Voicemail:
    message = db.session().get(Voicemail, message_id)
    if message is None:
        abort(404)
    return message
