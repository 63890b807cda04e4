"""Jobs: download a recording, then transcribe it. Both idempotent and safe to re-run."""

from __future__ import annotations

import logging

import requests
from flask import current_app

from ivr import db, jobs
from ivr.calls.models import utcnow
from ivr.speech import AudioError, ModelUnavailable, transcribe
from ivr.speech.ext import registry
from ivr.voicemail.media import MediaRefused, check_url, fetch
from ivr.voicemail.models import Voicemail

log = logging.getLogger("ivr.voicemail")


@jobs.task(
    "voicemail.download", queue="default", timeout=120, retry_intervals=(5, 30, 120, 600, 1800)
)
def download_voicemail(message_id: int) -> None:
    settings = current_app.config["SETTINGS"]
    session = db.session()
    message = session.get(Voicemail, message_id)
    if message is None or message.download_status in ("downloaded", "refused"):
        return
    try:
        url = check_url(message.media_url, settings.media_hosts)
    except MediaRefused as exc:  # the allow-list changed since the callback
        message.download_status, message.download_error = "refused", str(exc)
        session.commit()
        return
    day = message.created_at
    relative = f"voicemail/{day:%Y/%m/%d}/{message.recording_sid}.wav"
    auth = (settings.twilio_account_sid, settings.twilio_auth_token)
    message.download_attempts += 1
    try:
        stored = fetch(url, settings.recordings_dir / relative, auth if auth[0] else None)
    except (requests.RequestException, OSError, ValueError) as exc:
        message.download_status, message.download_error = "failed", f"{type(exc).__name__}: {exc}"
        session.commit()
        raise  # the queue retries with back-off; the row says what happened
    message.audio_path, message.sha256 = relative, stored.sha256
    message.duration = stored.duration if stored.duration is not None else message.duration
    message.download_status, message.download_error = "downloaded", ""
    session.commit()
    log.info("stored recording %s (%d bytes)", message.recording_sid, stored.size)
    jobs.enqueue("voicemail.transcribe", message.id)


@jobs.task("voicemail.transcribe", queue="transcribe", timeout=1800, retry_intervals=(30, 300))
def transcribe_voicemail(message_id: int) -> None:
    settings = current_app.config["SETTINGS"]
    session = db.session()
    message = session.get(Voicemail, message_id)
    if message is None or message.download_status != "downloaded":
        return
    if message.transcript_status in ("done", "no-speech"):
        return
    try:
        result = transcribe(
            settings.recordings_dir / message.audio_path, message.locale, registry()
        )
    except ModelUnavailable as exc:
        message.transcript_status, message.transcript_error = "waiting-for-model", str(exc)
        session.commit()
        return
    except AudioError as exc:  # corrupt audio: say so, keep the file, do not retry
        message.transcript_status, message.transcript_error = "failed", str(exc)
        session.commit()
        return
    message.transcript = result.to_dict()
    message.transcript_text = result.text
    message.transcript_model = result.model
    message.transcript_status = "done" if result.text.strip() else "no-speech"
    message.transcript_error = ""
    message.transcribed_at = utcnow()
    session.commit()
    log.info(
        "transcribed %s in %.2fs (rtf %.2f)",
        message.recording_sid,
        result.convert_seconds + result.decode_seconds,
        result.real_time_factor or 0,
    )
