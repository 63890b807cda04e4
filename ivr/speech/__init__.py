"""Offline speech recognition for recordings: audio conversion, Vosk models, transcripts.

``ivr.speech.cli`` (the ``ivr models`` commands) and ``ivr.speech.fetch`` are not
imported here so that workers do not pull in Flask or HTTP code they do not need.
"""

from .audio import AudioError, ChannelAudio, load_audio
from .models import (
    LoadedModel,
    ModelLocation,
    ModelRegistry,
    ModelUnavailable,
    env_var_name,
    normalize_locale,
)
from .transcribe import ChannelText, Segment, Transcript, Word, transcribe

__all__ = [
    "AudioError",
    "ChannelAudio",
    "ChannelText",
    "LoadedModel",
    "ModelLocation",
    "ModelRegistry",
    "ModelUnavailable",
    "Segment",
    "Transcript",
    "Word",
    "env_var_name",
    "load_audio",
    "normalize_locale",
    "transcribe",
]
