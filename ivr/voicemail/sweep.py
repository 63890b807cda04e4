"""Find work that never reached a queue (Redis down, worker lost) and queue it again."""

from __future__ import annotations

from sqlalchemy import select

from ivr import db, jobs
from ivr.voicemail.models import Voicemail

MAX_DOWNLOAD_ATTEMPTS = 10


def untranscribed() -> list[int]:
    query = select(Voicemail.id).where(
        Voicemail.download_status == "downloaded",
        Voicemail.transcript_status.in_(("pending", "waiting-for-model")),
    )
    return list(db.session().scalars(query.order_by(Voicemail.id)))


def undownloaded() -> list[int]:
    query = select(Voicemail.id).where(
        Voicemail.download_status.in_(("pending", "failed")),
        Voicemail.media_url != "",
        Voicemail.download_attempts < MAX_DOWNLOAD_ATTEMPTS,
    )
    return list(db.session().scalars(query.order_by(Voicemail.id)))


def sweep() -> tuple[int, int]:
    downloads = undownloaded()
    transcripts = untranscribed()
    for message_id in downloads:
        jobs.enqueue("voicemail.download", message_id)
    for message_id in transcripts:
        jobs.enqueue("voicemail.transcribe", message_id)
    return len(downloads), len(transcripts)
