"""Prometheus metrics, aggregated across gunicorn workers when PROMETHEUS_MULTIPROC_DIR is set."""

from __future__ import annotations

import os
import time

from flask import Flask, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

WEBHOOK_SECONDS = Histogram(
    "ivr_webhook_seconds",
    "Time to answer a Twilio webhook",
    ["endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15),
)
CALLS = Counter("ivr_calls_total", "Calls answered", ["locale"])
OPTIONS = Counter("ivr_menu_options_total", "Menu options taken", ["node", "option"])
DATABASE_ERRORS = Counter("ivr_database_errors_total", "Webhooks answered without storing")
JOB_FAILURES = Counter("ivr_job_failures_total", "Background job attempts that failed", ["task"])
TRANSCRIPTION_RTF = Histogram(
    "ivr_transcription_real_time_factor",
    "Transcription time (conversion + decoding) per second of audio",
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5),
)


class QueueDepth:
    """Jobs waiting per RQ queue and call-journal entries not yet written, read from Redis."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        from redis.exceptions import RedisError

        family = GaugeMetricFamily(
            "ivr_queue_depth", "Jobs waiting in each queue", labels=["queue"]
        )
        jobs = self.app.extensions.get("ivr.jobs")
        if hasattr(jobs, "queue"):
            for name in ("events", "default", "transcribe"):
                try:
                    family.add_metric([name], jobs.queue(name).count)
                except RedisError:
                    pass
        yield family
        journal = self.app.extensions.get("ivr.journal")
        if journal is not None:
            try:
                backlog, dead = journal.backlog(), journal.dead()
            except RedisError:
                return
            yield GaugeMetricFamily(
                "ivr_call_journal_backlog", "Call events waiting to be written", value=backlog
            )
            yield GaugeMetricFamily(
                "ivr_call_journal_dead", "Call events the database refused", value=dead
            )


def init_app(app: Flask) -> None:
    app.extensions["ivr.metrics.queue"] = QueueDepth(app)

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        if request.blueprint == "voice" and request.url_rule is not None:
            elapsed = time.perf_counter() - g.get("metrics_started", time.perf_counter())
            WEBHOOK_SECONDS.labels(request.url_rule.rule).observe(elapsed)
        return response


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry)
    queue_registry = CollectorRegistry()
    queue_registry.register(current_app.extensions["ivr.metrics.queue"])
    return output + generate_latest(queue_registry), CONTENT_TYPE_LATEST
