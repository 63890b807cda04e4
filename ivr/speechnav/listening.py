"""Staff listen to a caller's kept speech (flows/speech.yaml ``store_audio``), audited as
other audio is: the call's ``speech`` event names the file, this page serves it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort

from webapp.access import permission_required
from webapp.audio import send_recording

bp = Blueprint("speechnav_audio", __name__, url_prefix="/staff/speech")


@dataclass
class KeptSpeech:
    """A stream's WAV as :func:`webapp.audio.send_recording` takes a recording."""

    audio_path: str
    download_status: str = "downloaded"  # written by ivr media before the result was stored


@bp.get("/<path:audio>")
@permission_required("speech.audio")
def listen(audio: str) -> Response:
    from ivr.speechnav.views import AUDIO

    path = f"speech/{audio}"
    if not AUDIO.fullmatch(path):
        abort(404)
    nonce = path.rsplit("/", 1)[1].removesuffix(".wav")
    return send_recording(KeptSpeech(path), "speech", nonce, mimetype="audio/wav")
