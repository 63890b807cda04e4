"""Jobs: download a recording, then transcribe it. Both idempotent and safe to re-run."""

from __future__ import annotations

import logging

from flask import current_app

from ivr import db, jobs
from ivr.clock import utcnow
from ivr.download import DownloadError
from ivr.metrics import TRANSCRIPTION_RTF
from ivr.recordings.media import MediaRefused, check_url, fetch
from ivr.recordings.models import DownloadStatus, TranscriptStatus
from ivr.recordings.sweep import model_of
from ivr.recordings.sweep import sweep as _sweep  # noqa: F401 - registers the sweeper
from ivr.speech import AudioError, ModelUnavailable, transcribe
from ivr.speech.ext import registry

log = logging.getLogger("ivr.recordings")


@jobs.task(
    "recording.download", queue="default", timeout=120, retry_intervals=(5, 30, 120, 600, 1800)
)
def download_recording(kind: str, recording_id: int) -> None:
    settings = current_app.config["SETTINGS"]
    session = db.session()
    item = session.get(model_of(kind), recording_id)
    if item is None or item.download_status in (DownloadStatus.DOWNLOADED, DownloadStatus.REFUSED):
        return
    try:
        url = check_url(item.media_url, settings.media_hosts)
    except MediaRefused as exc:  # the allow-list changed since the callback
        item.download_status, item.download_error = DownloadStatus.REFUSED, str(exc)
        session.commit()
        return
    relative = f"{kind}/{item.created_at:%Y/%m/%d}/{item.recording_sid}.wav"
    auth = (settings.twilio_account_sid, settings.twilio_auth_token)
    item.download_attempts += 1
    try:
        stored = fetch(
            url, settings.recordings_dir / relative, auth if auth[0] else None, settings.media_hosts
        )
    except (DownloadError, OSError) as exc:
        item.download_status = DownloadStatus.FAILED
        item.download_error = f"{type(exc).__name__}: {exc}"
        session.commit()
        raise  # the queue retries with back-off; the row says what happened
    item.audio_path, item.sha256 = relative, stored.sha256
    item.duration = stored.duration if stored.duration is not None else item.duration
    item.download_status, item.download_error = DownloadStatus.DOWNLOADED, ""
    session.commit()
    log.info("stored %s recording %s (%d bytes)", kind, item.recording_sid, stored.size)
    jobs.enqueue("recording.transcribe", kind, item.id)


@jobs.task("recording.transcribe", queue="transcribe", timeout=1800, retry_intervals=(30, 300))
def transcribe_recording(kind: str, recording_id: int) -> None:
    settings = current_app.config["SETTINGS"]
    session = db.session()
    item = session.get(model_of(kind), recording_id)
    if item is None or item.download_status != DownloadStatus.DOWNLOADED:
        return
    if item.transcript_status in (TranscriptStatus.DONE, TranscriptStatus.NO_SPEECH):
        return
    try:
        result = transcribe(settings.recordings_dir / item.audio_path, item.locale, registry())
    except ModelUnavailable as exc:
        item.transcript_status = TranscriptStatus.WAITING_FOR_MODEL
        item.transcript_error = str(exc)
        session.commit()
        return
    except AudioError as exc:  # corrupt audio: say so, keep the file, do not retry
        item.transcript_status, item.transcript_error = TranscriptStatus.FAILED, str(exc)
        session.commit()
        return
    item.transcript = result.to_dict()
    item.transcript_text = result.text
    item.transcript_model = result.model
    item.transcript_status = (
        TranscriptStatus.DONE if result.text.strip() else TranscriptStatus.NO_SPEECH
    )
    item.transcript_error = ""
    item.transcribed_at = utcnow()
    session.commit()
    if result.real_time_factor is not None:
        TRANSCRIPTION_RTF.observe(result.real_time_factor)
    log.info(
        "transcribed %s %s in %.2fs (rtf %.2f)",
        kind,
        item.recording_sid,
        result.convert_seconds + result.decode_seconds,
        result.real_time_factor or 0,
    )
