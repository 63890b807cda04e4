"""Find work that never reached a queue (Redis down, worker lost) and queue it again."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ivr import db, jobs
from ivr.registry import registry

MAX_DOWNLOAD_ATTEMPTS = 10


def model_of(kind: str) -> type:
    """The table of a registered recording kind (KeyError for an unknown one)."""
    return registry(current_app).recording_kinds[kind].model


def kinds() -> dict[str, type]:
    return {name: kind.model for name, kind in registry(current_app).recording_kinds.items()}


def untranscribed() -> list[tuple[str, int]]:
    found = []
    for kind, model in kinds().items():
        query = select(model.id).where(
            model.download_status == "downloaded",
            model.transcript_status.in_(("pending", "waiting-for-model")),
        )
        found += [(kind, i) for i in db.session().scalars(query.order_by(model.id))]
    return found


def undownloaded() -> list[tuple[str, int]]:
    found = []
    for kind, model in kinds().items():
        query = select(model.id).where(
            model.download_status.in_(("pending", "failed")),
            model.media_url != "",
            model.download_attempts < MAX_DOWNLOAD_ATTEMPTS,
        )
        found += [(kind, i) for i in db.session().scalars(query.order_by(model.id))]
    return found


@jobs.sweeper("recordings")
def sweep() -> int:
    downloads, transcripts = undownloaded(), untranscribed()
    for kind, item_id in downloads:
        jobs.enqueue("recording.download", kind, item_id)
    for kind, item_id in transcripts:
        jobs.enqueue("recording.transcribe", kind, item_id)
    return len(downloads) + len(transcripts)
