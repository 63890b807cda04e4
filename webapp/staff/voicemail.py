"""Inbox queries and the plain-words status of a voicemail."""

from __future__ import annotations

from sqlalchemy import Select, and_, not_, select
from sqlalchemy.orm import Session

from ivr.speech.fetch import KNOWN_MODELS
from ivr.voicemail.models import Voicemail
from webapp.paging import Page, paginate

# filter id -> label; the first is the default.
FILTERS = {
    "unhandled": "待处理 Unhandled",
    "handled": "已处理 Handled",
    "messages": "全部留言 All messages",
    "all": "全部录音 Everything (incl. discarded, empty, no speech)",
}

IS_MESSAGE = and_(Voicemail.state == "recorded", Voicemail.transcript_status != "no-speech")


def inbox_query(show: str) -> Select[tuple[Voicemail]]:
    query = select(Voicemail)
    if show == "all":
        return query
    query = query.where(IS_MESSAGE)
    if show == "unhandled":
        query = query.where(Voicemail.handled_at.is_(None))
    elif show == "handled":
        query = query.where(not_(Voicemail.handled_at.is_(None)))
    return query


def inbox_page(session: Session, show: str, number: int) -> Page[Voicemail]:
    query = inbox_query(show).order_by(Voicemail.created_at.desc(), Voicemail.id.desc())
    return paginate(session, query, number)


def preview(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length].rstrip() + "…"


def state_words(message: Voicemail) -> str | None:
    """What the caller did, when it is not an ordinary message."""
    if message.state == "discarded":
        return "已放弃 Discarded — the caller recorded again"
    if message.state == "empty":
        return "空录音 Empty — the caller said nothing or hung up"
    return None


def download_words(message: Voicemail) -> str | None:
    """The recording's download, in plain words; None once it is stored, or when there
    is nothing to download (an empty take: the caller said nothing or hung up)."""
    status = message.download_status
    if status == "downloaded" or (message.state == "empty" and not message.media_url):
        return None
    if status == "pending":
        return "等待下载 Waiting to download the recording from Twilio"
    if status == "failed":
        tries = message.download_attempts
        return (
            f"下载失败 Download failed ({tries} attempt{'s' if tries != 1 else ''}); "
            "it is retried automatically for a while"
        )
    if status == "refused":
        return (
            "拒绝下载 Download refused — the recording's address is not on the allowed "
            "media hosts (IVR_MEDIA_HOSTS), so it was not fetched"
        )
    return f"下载状态 Download status: {status}"


def transcript_words(message: Voicemail) -> str:
    """The transcript's status, in words an operator can act on."""
    status, locale = message.transcript_status, message.locale
    if status == "done":
        return "已转写 Transcribed"
    if status == "no-speech":
        return "无语音 No speech was heard in the recording"
    if status == "failed":
        return "转写失败 Transcription failed — the audio could not be decoded"
    if status == "waiting-for-model":
        if locale in KNOWN_MODELS:
            action = f"an operator runs `ivr models fetch {locale}`"
        else:
            action = f"an operator installs a Vosk model for {locale} (see `ivr models list`)"
        return f"等待模型 waiting for model — no speech model is configured for {locale}; {action}"
    if status == "pending":
        if message.download_status == "refused":
            return "未转写 Not transcribed — the recording was not downloaded"
        if message.download_status != "downloaded":
            return "等待录音 Not yet transcribed — waiting for the recording"
        return "排队转写 Queued for transcription"
    return f"转写状态 Transcript status: {status}"
