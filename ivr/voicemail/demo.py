"""``ivr voicemail demo``: a few messages with real audio in the inbox, created once.

Each message is spoken by ``espeak-ng`` (Mandarin) when it is installed and
then transcribed by the recording pipeline, as a downloaded message would be
(where a zh-CN model is installed; else it waits for one). Without espeak-ng
each word is a tone burst standing in for speech, which no model could
transcribe: the message's text is stored as its transcript, marked as demo
audio. The audio is stored where downloads go (``voicemail/YYYY/MM/DD/RE….wav``).
"""

from __future__ import annotations

import array
import hashlib
import math
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr import jobs
from ivr.clock import utcnow
from ivr.recordings.media import wav_duration
from ivr.recordings.models import DownloadStatus, TranscriptStatus
from ivr.voicemail.models import Voicemail

RATE = 8000  # as Twilio records a call
TONE_NOTE = (
    "演示录音：以音调代替语音 Demo audio: tone bursts stand in for speech (espeak-ng not used)"
)


@dataclass(frozen=True)
class DemoMessage:
    caller: str
    hours_ago: int
    text: str


MESSAGES = (
    DemoMessage(
        "+8613904311234",
        2,
        "您好，我想咨询一下养老保险关系转移需要带哪些材料，麻烦回个电话，谢谢。",
    ),
    DemoMessage("+8643188885678", 26, "我的社会保障卡丢了，请问在哪里补办，需要多长时间？"),
    DemoMessage("+8615004325566", 50, "公司已经两个月没发工资了，我想反映一下情况，请尽快联系我。"),
)


def make_demo(session: Session, recordings_dir: Path, *, speech: bool = True) -> str:
    """Create the demo messages that are missing; return what to tell the user."""
    speak = shutil.which("espeak-ng") if speech else None
    made, queued = 0, []
    for number, message in enumerate(MESSAGES):
        sid = "RE" + hashlib.sha256(f"demo-voicemail:{number}".encode()).hexdigest()[:32]
        if session.scalar(select(Voicemail.id).where(Voicemail.recording_sid == sid)):
            continue
        created = utcnow() - timedelta(hours=message.hours_ago)
        relative = f"voicemail/{created:%Y/%m/%d}/{sid}.wav"
        path = recordings_dir / relative
        render_message(message.text, path, speak)
        item = Voicemail(
            recording_sid=sid,
            call_sid="CA" + sid[2:],
            caller=message.caller,
            created_at=created,
            download_status=DownloadStatus.DOWNLOADED,
            audio_path=relative,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            duration=wav_duration(path),
            locale="zh-CN",
            **({} if speak else _script_transcript(message.text, created)),
        )
        session.add(item)
        session.flush()
        made += 1
        if speak:
            queued.append(item.id)
    session.commit()
    for item_id in queued:  # after the commit the job reads
        jobs.enqueue("recording.transcribe", "voicemail", item_id)
    how = (
        "spoken by espeak-ng, transcribed where a zh-CN speech model is installed"
        if speak
        else "tone bursts standing in for speech, with their text as the transcript"
    )
    return f"demo voicemails: {made} new ({how})"


def _script_transcript(text: str, created: datetime) -> dict[str, Any]:
    return {
        "transcript_status": TranscriptStatus.DONE,
        "transcript_text": text,
        "transcript_model": "demo-script",
        "transcript": {
            "locale": "zh-CN",
            "model": "demo-script",
            "text": text,
            "demo_audio": TONE_NOTE,
        },
        "transcribed_at": created,
    }


def render_message(text: str, path: Path, speak: str | None) -> None:
    """Write ``text`` as a mono 16-bit WAV: espeak-ng's speech, else tone bursts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if speak:
        with tempfile.TemporaryDirectory() as tmp:
            spoken = Path(tmp) / "message.wav"
            subprocess.run(  # noqa: S603 - fixed program, text passed as one argument
                [speak, "-v", "cmn", "-s", "160", "-w", str(spoken), text],
                check=True,
                capture_output=True,
                timeout=60,
            )
            shutil.move(spoken, path)
        return
    samples = array.array("h", bytes(2 * RATE // 2))  # half a second before the caller speaks
    for index, char in enumerate(text):
        if not char.isalnum():  # punctuation: a pause
            samples.frombytes(bytes(2 * RATE // 4))
            continue
        frequency = 220.0 * (1 + 0.06 * (index % 4))
        count = round(0.2 * RATE)
        fade = round(0.02 * RATE)
        for i in range(count):
            envelope = min(1.0, i / fade, (count - i) / fade)
            samples.append(round(6000 * envelope * math.sin(2 * math.pi * frequency * i / RATE)))
        samples.frombytes(bytes(2 * round(0.06 * RATE)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
