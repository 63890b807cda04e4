"""The media process's figures; with PROMETHEUS_MULTIPROC_DIR they reach the web's /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

STREAMS = Counter("ivr_speech_streams_total", "Media streams accepted")
REFUSED = Counter("ivr_speech_streams_refused_total", "Media streams refused", ["why"])
RESULTS = Counter(
    "ivr_speech_results_total", "Stream results stored, by how they ended", ["reason"]
)
CONFIDENCE = Histogram(
    "ivr_speech_confidence",
    "Confidence of recognised phrases",
    buckets=(0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0),
)
STORE_SECONDS = Histogram(
    "ivr_speech_store_seconds",
    "From the arrival of the audio in which the utterance ended (or the key) to the stored result",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 1),
)
